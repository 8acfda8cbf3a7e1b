public import CygnetRuntime
import Foundation
public import Logging

/// Everything cygnet-auth's endpoints need, passed in once: settings, stores, keys, throttle.
public struct AuthContext: Sendable {
    public let issuer: String
    public let settings: AuthSettings
    public let accounts: AccountService
    public let clients: ClientStore
    /// Cached client lookups for the endpoints; `clients` for changes.
    public let clientDirectory: ClientDirectory
    public let grants: GrantStore
    public let sessions: LoginSessionStore
    public let keys: SigningKeyRing
    public let throttle: ThrottleGuard
    public let logger: Logger
    /// Whether cookies get the Secure attribute (the public URL is https).
    public let secureCookies: Bool

    public init(appliance: ApplianceSettings, settings: AuthSettings, store: SQLStore, logger: Logger) {
        issuer = appliance.publicURL + "/auth"
        self.settings = settings
        accounts = AccountService(store: store, hasher: PasswordHasher(parameters: settings.passwordHashing))
        clients = ClientStore(store: store)
        clientDirectory = ClientDirectory(store: clients)
        grants = GrantStore(store: store)
        sessions = LoginSessionStore(store: store)
        keys = SigningKeyRing(
            store: SigningKeyStore(store: store), rotationInterval: settings.keyRotationInterval,
            overlap: settings.keyOverlap, logger: logger)
        throttle = ThrottleGuard(policy: settings.throttle)
        self.logger = logger
        secureCookies = appliance.publicURL.hasPrefix("https://")
    }

    /// Registers the clients named in the configuration, replacing those of an earlier start.
    public func registerConfiguredClients() async throws {
        let now = Self.now()
        let registered = settings.clients.map { client in
            RegisteredClient(
                id: client.id, name: client.name, secretHash: client.secret.map(SecretDigest.hash),
                redirectURIs: client.redirectURIs, postLogoutRedirectURIs: client.postLogoutRedirectURIs,
                scopes: client.scopes, isPublic: client.secret == nil,
                allowsClientCredentials: client.allowsClientCredentials, source: "configuration", createdAt: now)
        }
        try await clients.replaceConfigured(registered)
    }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// Holds the `LoginThrottle` state for the process.
public actor ThrottleGuard {
    private var throttle: LoginThrottle

    public init(policy: LoginThrottle.Policy) {
        throttle = LoginThrottle(policy: policy)
    }

    public func waitTime(account: String, address: String) -> Duration? {
        throttle.waitTime(account: account, address: address, now: .now)
    }

    public func recordFailure(account: String, address: String) {
        throttle.recordFailure(account: account, address: address, now: .now)
    }

    public func recordSuccess(account: String) {
        throttle.recordSuccess(account: account)
    }
}
