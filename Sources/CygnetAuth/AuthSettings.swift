public import CygnetRuntime

/// The `auth:` section of the appliance configuration.
public struct AuthSettings: Sendable {
    public var host: String
    public var port: Int
    public var passwordHashing: PasswordHasher.Parameters
    public var accessTokenLifetime: Duration
    public var idTokenLifetime: Duration
    public var refreshTokenLifetime: Duration
    public var authorizationCodeLifetime: Duration
    public var loginSessionLifetime: Duration
    public var keyRotationInterval: Duration
    public var keyOverlap: Duration
    public var throttle: LoginThrottle.Policy
    public var maximumRequestBytes: Int
    /// Clients registered in the configuration file (`auth.clients.<id>.…`), e.g. the hub.
    public var clients: [ConfiguredClient]

    public struct ConfiguredClient: Sendable, Equatable {
        public var id: String
        public var name: String
        public var secret: String?
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String]
        public var scopes: [String]
        public var allowsClientCredentials: Bool
    }

    public static let section = "auth"

    public init(reading settings: SettingsReader) throws {
        host = try settings.string("auth.host", default: "127.0.0.1")
        port = try settings.int("auth.port", default: 8000, range: 1...65535)
        passwordHashing = .init(
            costLog2: try settings.int("auth.password_hashing.cost_log2", default: 15, range: 10...20),
            blockSize: try settings.int("auth.password_hashing.block_size", default: 8, range: 1...32),
            parallelism: try settings.int("auth.password_hashing.parallelism", default: 1, range: 1...16))
        let minute = Duration.seconds(60)
        let day = Duration.seconds(86400)
        accessTokenLifetime = try settings.duration(
            "auth.tokens.access_token_lifetime", default: minute * 5, range: .seconds(30)...(day))
        idTokenLifetime = try settings.duration(
            "auth.tokens.id_token_lifetime", default: minute * 60, range: .seconds(30)...(day))
        refreshTokenLifetime = try settings.duration(
            "auth.tokens.refresh_token_lifetime", default: day * 30, range: (minute * 5)...(day * 365))
        authorizationCodeLifetime = try settings.duration(
            "auth.tokens.authorization_code_lifetime", default: .seconds(60), range: .seconds(10)...(minute * 10))
        loginSessionLifetime = try settings.duration(
            "auth.login_session_lifetime", default: .seconds(12 * 3600), range: (minute * 5)...(day * 30))
        keyRotationInterval = try settings.duration(
            "auth.keys.rotation_interval", default: day * 90, range: (minute * 5)...(day * 3650))
        keyOverlap = try settings.duration("auth.keys.overlap", default: day * 2, range: (minute * 5)...(day * 365))
        throttle = .init(
            accountFailures: try settings.int("auth.throttle.account_failures", default: 5, range: 1...1000),
            addressFailures: try settings.int("auth.throttle.address_failures", default: 30, range: 1...100_000),
            window: try settings.duration("auth.throttle.window", default: minute * 15, range: .seconds(1)...(day)),
            firstLock: try settings.duration(
                "auth.throttle.first_lock", default: .seconds(30), range: .seconds(1)...(day)),
            maximumLock: try settings.duration(
                "auth.throttle.maximum_lock", default: minute * 15, range: .seconds(1)...(day)))
        maximumRequestBytes = try settings.int(
            "auth.maximum_request_bytes", default: 64 * 1024, range: 1024...(16 * 1024 * 1024))
        clients = try settings.childNames(of: "auth.clients").map { id in
            try Self.client(id: id, settings: settings)
        }
    }

    private static func client(id: String, settings: SettingsReader) throws -> ConfiguredClient {
        let key = "auth.clients.\(id)"
        do {
            try ClientValidation.checkClientID(id)
        } catch {
            throw ConfigurationError(key: key, value: nil, allowed: "is not a valid client id: \(error.message)")
        }
        let redirects = settings.stringArray("\(key).redirect_uris", default: [])
        for uri in redirects {
            do { try ClientValidation.checkRedirectURI(uri) } catch {
                throw ConfigurationError(key: "\(key).redirect_uris", value: uri, allowed: error.message)
            }
        }
        let secret = settings.optionalString("\(key).secret")
        let isPublic = try settings.bool("\(key).public", default: false)
        if !isPublic, (secret ?? "").count < 16 {
            throw ConfigurationError(
                key: "\(key).secret", value: nil,
                allowed: "must be set to a random secret of at least 16 characters (or set \(key).public: true)")
        }
        return ConfiguredClient(
            id: id, name: try settings.string("\(key).name", default: id), secret: isPublic ? nil : secret,
            redirectURIs: redirects,
            postLogoutRedirectURIs: settings.stringArray("\(key).post_logout_redirect_uris", default: []),
            scopes: settings.stringArray("\(key).scopes", default: RegisteredClient.defaultScopes),
            allowsClientCredentials: try settings.bool("\(key).client_credentials", default: false))
    }
}
