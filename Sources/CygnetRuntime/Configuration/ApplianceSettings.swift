import Foundation
public import Logging

/// Settings every service shares: where the appliance is reached, where it keeps its state, its database and logs.
public struct ApplianceSettings: Sendable, Equatable {
    /// The one URL users open, e.g. `http://127.0.0.1:8000`; never ends with a slash.
    public var publicURL: String
    public var stateDirectory: String
    public var database: DatabaseLocation
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public init(
        publicURL: String, stateDirectory: String, database: DatabaseLocation,
        logLevel: Logger.Level = .info, logFormat: LogFormat = .text
    ) {
        self.publicURL = publicURL
        self.stateDirectory = stateDirectory
        self.database = database
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    public static let sections = ["public_url", "state_dir", "database", "log"]

    public init(reading settings: SettingsReader) throws(ConfigurationError) {
        let url = try settings.string("public_url", default: "http://127.0.0.1:8000")
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil, parsed.query == nil, parsed.fragment == nil
        else {
            throw settings.failure(
                "public_url", url, "it must be an http:// or https:// address such as http://127.0.0.1:8000")
        }
        publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        stateDirectory = try settings.string("state_dir", default: Self.defaultStateDirectory())
        guard stateDirectory.hasPrefix("/") else {
            throw settings.failure("state_dir", stateDirectory, "it must be an absolute path such as /var/lib/cygnet")
        }
        let databaseURL = try settings.string("database.url", default: "sqlite:\(stateDirectory)/cygnet.sqlite")
        guard let location = DatabaseLocation(url: databaseURL) else {
            throw settings.failure(
                "database.url", databaseURL,
                "it must be sqlite:/absolute/path.sqlite or postgres://user:password@host:port/database")
        }
        database = location
        let level = try settings.string(
            "log.level", default: "info", allowed: Logger.Level.allCases.map(\.rawValue))
        logLevel = Logger.Level(rawValue: level) ?? .info
        logFormat =
            LogFormat(rawValue: try settings.string("log.format", default: "text", allowed: ["text", "json"])) ?? .text
    }

    /// `/var/lib/cygnet` for root (a system service), otherwise under the user's home.
    public static func defaultStateDirectory() -> String {
        if getuid() == 0 { return "/var/lib/cygnet" }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/cygnet"
    }
}

extension DatabaseLocation {
    /// Parses `sqlite:/path`, `sqlite:///path` or a `postgres://` / `postgresql://` URL.
    public init?(url: String) {
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard path.hasPrefix("/") || path == ":memory:" else { return nil }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard (try? PostgresURL(parsing: url)) != nil else { return nil }
            self = .postgres(url: url)
        } else {
            return nil
        }
    }
}
