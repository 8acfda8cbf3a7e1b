/// An application allowed to sign people in through cygnet-auth (the hub, a course website, a wiki) or to
/// call services on its own behalf (client credentials).
public struct RegisteredClient: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// SHA-256 of the secret for confidential clients; nil for public clients (browser or desktop apps, PKCE only).
    public var secretHash: String?
    /// Exact-match redirect URIs; no wildcards, no prefix matching.
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]
    /// Scopes the client may ask for; `cygnet:admin` is granted to users only if they are administrators.
    public var scopes: [String]
    public var isPublic: Bool
    public var allowsClientCredentials: Bool
    /// `configuration` (from cygnet.yaml, replaced at each start) or `cli` (added by an administrator).
    public var source: String
    public var createdAt: Int64

    public init(
        id: String, name: String, secretHash: String?, redirectURIs: [String], postLogoutRedirectURIs: [String] = [],
        scopes: [String] = RegisteredClient.defaultScopes, isPublic: Bool, allowsClientCredentials: Bool = false,
        source: String = "cli", createdAt: Int64 = 0
    ) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.scopes = scopes
        self.isPublic = isPublic
        self.allowsClientCredentials = allowsClientCredentials
        self.source = source
        self.createdAt = createdAt
    }

    public static let defaultScopes = ["openid", "profile", "email", "groups", "offline_access"]
    public static let adminScope = "cygnet:admin"
}
