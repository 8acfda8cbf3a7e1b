public import AsyncHTTPClient
public import CygnetRuntime
public import Logging

/// Everything the hub's handlers share.
public struct HubContext: Sendable {
    public let settings: HubSettings
    public let appliance: ApplianceSettings
    public let users: HubUserStore
    public let tokens: TokenStore
    public let sessions: SessionManager
    public let httpClient: HTTPClient
    public let logger: Logger

    public init(
        settings: HubSettings, appliance: ApplianceSettings, store: SQLStore, sessions: SessionManager,
        httpClient: HTTPClient = .shared, logger: Logger
    ) {
        self.settings = settings
        self.appliance = appliance
        self.users = HubUserStore(store: store)
        self.tokens = TokenStore(store: store)
        self.sessions = sessions
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The JupyterHub API version we speak; single-user servers compare its major version with their own.
    public static let apiVersion = "6.1.1"

    /// Whether browsers reach us over https (cookies then get `Secure`).
    var isSecure: Bool { appliance.publicURL.hasPrefix("https://") }
}
