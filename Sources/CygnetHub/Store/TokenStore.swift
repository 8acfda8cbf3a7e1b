public import CygnetRuntime
import Foundation
import SQLKit

/// An API token of the hub (JupyterHub's model): owned by a user or a service, with scopes.
public struct APIToken: Sendable, Equatable {
    public var id: String
    public var userName: String?
    public var serviceName: String?
    public var scopes: [String]
    public var note: String
    public var clientID: String?
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var lastActivity: Int64?
}

/// The registration of a session server as an OAuth client of the hub (contract §3).
public struct OAuthClient: Sendable, Equatable {
    public var id: String
    public var redirectURI: String
    public var scopes: [String]
    public var userName: String
    public var serverName: String
}

/// API tokens, OAuth clients and authorization codes. Secrets are stored only as SHA-256 digests.
public struct TokenStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    /// Stores a new token and returns its secret, which is shown once.
    public func issue(
        user: String?, service: String? = nil, scopes: [String], note: String, clientID: String? = nil,
        sessionDigest: String? = nil, now: Int64, lifetime: Int64?
    ) async throws -> (secret: String, token: APIToken) {
        let secret = SecretDigest.newSecret()
        let token = APIToken(
            id: "a" + String(UUID().uuidString.lowercased().prefix(8)), userName: user, serviceName: service,
            scopes: scopes, note: note, clientID: clientID, createdAt: now, expiresAt: lifetime.map { now + $0 },
            lastActivity: nil)
        try await store.transaction { db in
            try await Self.insert(token, secret: secret, sessionDigest: sessionDigest, into: db)
        }
        return (secret, token)
    }

    /// Registers a secret chosen elsewhere (a service token from the configuration), replacing an earlier one.
    public func register(secret: String, service: String, scopes: [String], now: Int64) async throws {
        let token = APIToken(
            id: "s-" + service, userName: nil, serviceName: service, scopes: scopes, note: "service \(service)",
            clientID: nil, createdAt: now, expiresAt: nil, lastActivity: nil)
        try await store.transaction { db in
            try await db.raw("DELETE FROM hub_tokens WHERE id = \(bind: token.id)").run()
            try await Self.insert(token, secret: secret, sessionDigest: nil, into: db)
        }
    }

    static func insert(_ token: APIToken, secret: String, sessionDigest: String?, into db: any SQLDatabase)
        async throws
    {
        try await db.raw(
            """
            INSERT INTO hub_tokens (token_hash, id, user_name, service_name, scopes, note, client_id, session_id,
              created_at, expires_at)
            VALUES (\(bind: SecretDigest.hash(secret)), \(bind: token.id), \(bind: token.userName),
                    \(bind: token.serviceName), \(bind: try JSONCoding.string(token.scopes)), \(bind: token.note),
                    \(bind: token.clientID), \(bind: sessionDigest), \(bind: token.createdAt),
                    \(bind: token.expiresAt))
            """
        ).run()
    }

    /// The live token with this secret, or nil.
    public func find(secret: String, now: Int64) async throws -> APIToken? {
        try await store.read { db in
            try await Self.tokens(
                where: SQLQueryString("token_hash = \(bind: SecretDigest.hash(secret))"), now: now, in: db
            ).first
        }
    }

    public func tokens(of user: String, now: Int64) async throws -> [APIToken] {
        try await store.read { db in
            try await Self.tokens(where: SQLQueryString("user_name = \(bind: user)"), now: now, in: db)
        }
    }

    public func revoke(id: String, of user: String) async throws -> Bool {
        try await store.transaction { db in
            let found = try await db.raw(
                "SELECT id FROM hub_tokens WHERE id = \(bind: id) AND user_name = \(bind: user)"
            ).first()
            try await db.raw("DELETE FROM hub_tokens WHERE id = \(bind: id) AND user_name = \(bind: user)").run()
            return found != nil
        }
    }

    static func tokens(where condition: SQLQueryString, now: Int64, in db: any SQLDatabase) async throws -> [APIToken] {
        try await db.raw(
            """
            SELECT id, user_name, service_name, scopes, note, client_id, created_at, expires_at, last_activity
            FROM hub_tokens WHERE \(condition) AND (expires_at IS NULL OR expires_at > \(bind: now))
            ORDER BY created_at
            """
        ).all().map { row in
            APIToken(
                id: try row.decode(column: "id", as: String.self),
                userName: try row.decode(column: "user_name", as: String?.self),
                serviceName: try row.decode(column: "service_name", as: String?.self),
                scopes: try JSONCoding.decode([String].self, from: try row.decode(column: "scopes", as: String.self)),
                note: try row.decode(column: "note", as: String.self),
                clientID: try row.decode(column: "client_id", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Int64.self),
                expiresAt: try row.decode(column: "expires_at", as: Int64?.self),
                lastActivity: try row.decode(column: "last_activity", as: Int64?.self))
        }
    }

    // MARK: OAuth clients of session servers

    /// Registers (or replaces) a session server's client; its secret is the server's API token.
    public func registerClient(_ client: OAuthClient, secret: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM hub_oauth_clients WHERE id = \(bind: client.id)").run()
            try await db.raw(
                """
                INSERT INTO hub_oauth_clients (id, secret_hash, redirect_uri, scopes, user_name, server_name) VALUES
                  (\(bind: client.id), \(bind: SecretDigest.hash(secret)), \(bind: client.redirectURI),
                   \(bind: try JSONCoding.string(client.scopes)), \(bind: client.userName), \(bind: client.serverName))
                """
            ).run()
        }
    }

    /// Removes a stopped server's client, its tokens and its server token.
    public func removeClient(id: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM hub_oauth_clients WHERE id = \(bind: id)").run()
            try await db.raw("DELETE FROM hub_oauth_codes WHERE client_id = \(bind: id)").run()
            try await db.raw("DELETE FROM hub_tokens WHERE client_id = \(bind: id)").run()
        }
    }

    public func client(id: String) async throws -> (OAuthClient, secretDigest: String)? {
        try await store.read { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT id, secret_hash, redirect_uri, scopes, user_name, server_name FROM hub_oauth_clients
                    WHERE id = \(bind: id)
                    """
                ).first()
            else { return nil }
            let client = OAuthClient(
                id: try row.decode(column: "id", as: String.self),
                redirectURI: try row.decode(column: "redirect_uri", as: String.self),
                scopes: try JSONCoding.decode([String].self, from: try row.decode(column: "scopes", as: String.self)),
                userName: try row.decode(column: "user_name", as: String.self),
                serverName: try row.decode(column: "server_name", as: String.self))
            return (client, try row.decode(column: "secret_hash", as: String.self))
        }
    }

    public func createCode(
        _ code: String, client: OAuthClient, user: String, scopes: [String], codeChallenge: String?,
        sessionDigest: String?, expiresAt: Int64
    ) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO hub_oauth_codes (code_hash, client_id, user_name, scopes, redirect_uri, code_challenge,
                  session_id, expires_at)
                VALUES (\(bind: SecretDigest.hash(code)), \(bind: client.id), \(bind: user),
                        \(bind: try JSONCoding.string(scopes)), \(bind: client.redirectURI), \(bind: codeChallenge),
                        \(bind: sessionDigest), \(bind: expiresAt))
                """
            ).run()
        }
    }

    /// Takes a code out of the store (single use) and returns what it was issued for.
    public func redeemCode(_ code: String, now: Int64) async throws -> RedeemedCode? {
        let digest = SecretDigest.hash(code)
        return try await store.transaction { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT client_id, user_name, scopes, redirect_uri, code_challenge, session_id, expires_at
                    FROM hub_oauth_codes WHERE code_hash = \(bind: digest)
                    """
                ).first()
            else { return nil }
            try await db.raw("DELETE FROM hub_oauth_codes WHERE code_hash = \(bind: digest)").run()
            guard try row.decode(column: "expires_at", as: Int64.self) > now else { return nil }
            return RedeemedCode(
                clientID: try row.decode(column: "client_id", as: String.self),
                userName: try row.decode(column: "user_name", as: String.self),
                scopes: try JSONCoding.decode([String].self, from: try row.decode(column: "scopes", as: String.self)),
                redirectURI: try row.decode(column: "redirect_uri", as: String.self),
                codeChallenge: try row.decode(column: "code_challenge", as: String?.self),
                sessionDigest: try row.decode(column: "session_id", as: String?.self))
        }
    }
}

public struct RedeemedCode: Sendable {
    public var clientID: String
    public var userName: String
    public var scopes: [String]
    public var redirectURI: String
    public var codeChallenge: String?
    /// Digest of the browser session the code was issued in.
    public var sessionDigest: String?
}
