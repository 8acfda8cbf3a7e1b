import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A parsed `postgres://` URL (see ``DatabaseLocation/postgres(url:)``), turned into postgres-nio configurations.
struct PostgresURL: Sendable, Equatable {
    enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    /// libpq's `sslmode` values, which say both whether TLS is used and how much of the certificate is checked.
    enum TLSMode: String, Sendable, Equatable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var endpoint: Endpoint
    var username: String
    var password: String?
    var database: String
    var tlsMode: TLSMode
    var connectTimeoutSeconds: Int?
    var startupParameters: [String: String]

    static let knownParameters = ["sslmode", "host", "port", "connect_timeout", "application_name", "search_path"]
    static let defaultSocketDirectory = "/var/run/postgresql"

    init(parsing url: String) throws(StoreError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw .cannotOpen("The PostgreSQL location must be a URL like postgres://user:password@host:5432/database.")
        }
        let parameters = try Self.queryParameters(of: components)
        let port = try Self.port(components.port, parameter: parameters["port"])
        self.endpoint = Self.endpoint(host: components.host, socketParameter: parameters["host"], port: port)
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.userName
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        self.tlsMode = try Self.tlsMode(parameters["sslmode"], endpoint: self.endpoint)
        self.connectTimeoutSeconds = try parameters["connect_timeout"].map(Self.connectTimeout)
        self.startupParameters = parameters.filter { $0.key == "application_name" || $0.key == "search_path" }
    }

    /// The URL without its password, for logs and messages.
    var redacted: String {
        switch self.endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(self.username)@\(shownHost):\(port)/\(self.database)"
        case .unixSocket(let path):
            return "postgres://\(self.username)@/\(self.database)?host=\(path)"
        }
    }

    private static func queryParameters(of components: URLComponents) throws(StoreError) -> [String: String] {
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard Self.knownParameters.contains(item.name) else {
                throw .cannotOpen(
                    "Unknown parameter '\(item.name)' in the PostgreSQL URL; known parameters are "
                        + Self.knownParameters.joined(separator: ", ") + "."
                )
            }
            parameters[item.name] = item.value ?? ""
        }
        return parameters
    }

    private static func port(_ fromAuthority: Int?, parameter: String?) throws(StoreError) -> Int {
        guard let parameter else { return fromAuthority ?? 5432 }
        guard let port = Int(parameter), (1...65535).contains(port) else {
            throw .cannotOpen("The port '\(parameter)' in the PostgreSQL URL is not a number between 1 and 65535.")
        }
        return port
    }

    /// libpq treats a host that starts with `/` as the directory holding the server's socket `.s.PGSQL.<port>`.
    private static func endpoint(host: String?, socketParameter: String?, port: Int) -> Endpoint {
        let authorityHost = host.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
        let chosen = socketParameter ?? authorityHost.flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultSocketDirectory
        guard chosen.hasPrefix("/") else {
            return .tcp(host: chosen, port: port)
        }
        let socketFile = ".s.PGSQL."
        if chosen.split(separator: "/").last?.hasPrefix(socketFile) == true {
            return .unixSocket(path: chosen)
        }
        let directory = chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
        return .unixSocket(path: "\(directory)/\(socketFile)\(port)")
    }

    private static func tlsMode(_ parameter: String?, endpoint: Endpoint) throws(StoreError) -> TLSMode {
        guard let parameter else {
            if case .unixSocket = endpoint { return .disable }
            return .prefer
        }
        guard let mode = TLSMode(rawValue: parameter) else {
            throw .cannotOpen(
                "sslmode '\(parameter)' in the PostgreSQL URL is not one of "
                    + "disable, allow, prefer, require, verify-ca, verify-full."
            )
        }
        return mode
    }

    private static func connectTimeout(_ parameter: String) throws(StoreError) -> Int {
        guard let seconds = Int(parameter), seconds > 0 else {
            throw .cannotOpen(
                "connect_timeout '\(parameter)' in the PostgreSQL URL is not a positive number of seconds.")
        }
        return seconds
    }
}

extension PostgresURL {
    /// TLS settings matching libpq: `require` encrypts without checking the certificate, `verify-ca` checks it against
    /// the system's roots, `verify-full` also checks the host name.
    var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch self.tlsMode {
        case .disable, .allow, .prefer, .require:
            configuration.certificateVerification = .none
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        return configuration
    }

    var usesTLS: (allowed: Bool, required: Bool) {
        switch self.tlsMode {
        case .disable: (false, false)
        case .allow, .prefer: (true, false)
        case .require, .verifyCA, .verifyFull: (true, true)
        }
    }

    /// The configuration for the long-lived `PostgresClient` pool.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch self.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch self.usesTLS {
            case (false, _): tls = .disable
            case (true, false): tls = .prefer(self.tlsConfiguration)
            case (true, true): tls = .require(self.tlsConfiguration)
            }
            configuration = .init(
                host: host,
                port: port,
                username: self.username,
                password: self.password,
                database: self.database,
                tls: tls
            )
        case .unixSocket(let path):
            configuration = .init(
                unixSocketPath: path,
                username: self.username,
                password: self.password,
                database: self.database
            )
        }
        if let seconds = self.connectTimeoutSeconds {
            configuration.options.connectTimeout = .seconds(seconds)
        }
        configuration.options.additionalStartupParameters = self.sortedStartupParameters
        return configuration
    }

    /// The configuration for the single connection that checks, at open, that the server is reachable.
    /// (A `PostgresClient` retries a refused connection forever instead of reporting it.)
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch self.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            switch self.usesTLS {
            case (false, _): tls = .disable
            case (true, false): tls = .prefer(try NIOSSLContext(configuration: self.tlsConfiguration))
            case (true, true): tls = .require(try NIOSSLContext(configuration: self.tlsConfiguration))
            }
            configuration = .init(
                host: host,
                port: port,
                username: self.username,
                password: self.password,
                database: self.database,
                tls: tls
            )
        case .unixSocket(let path):
            configuration = .init(
                unixSocketPath: path,
                username: self.username,
                password: self.password,
                database: self.database
            )
        }
        if let seconds = self.connectTimeoutSeconds {
            configuration.options.connectTimeout = .seconds(Int64(seconds))
        }
        configuration.options.additionalStartupParameters = self.sortedStartupParameters
        return configuration
    }

    var sortedStartupParameters: [(String, String)] {
        self.startupParameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
