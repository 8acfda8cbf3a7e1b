public import CygnetRuntime
import SQLKit

/// A grant: one login of one user to one client (or one client-credentials issue). Codes, refresh tokens and
/// access tokens all belong to a grant; revoking the grant revokes them all (the "token family").
public struct Grant: Sendable, Equatable {
    public var id: String
    public var userID: String?
    public var clientID: String
    public var scope: String
    public var nonce: String?
    public var authTime: Int64
    public var revoked: Bool
}

/// What happened to a presented refresh token.
public enum RefreshOutcome: Sendable, Equatable {
    case rotated(Grant, Account?)
    /// The token had been used already: a copy is in someone else's hands, so the whole family was revoked.
    case reuseDetected
    case invalid
}

/// What happened to a presented authorization code.
public enum CodeOutcome: Sendable, Equatable {
    case redeemed(Grant, redirectURI: String, codeChallenge: String?)
    /// A second use of a code: the grant issued from it was revoked (RFC 6749 §4.1.2).
    case reused
    case expired
    case invalid
}

/// Grants, authorization codes and refresh tokens. Codes and refresh tokens are stored only as SHA-256 digests.
public struct GrantStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func createGrant(_ grant: Grant, now: Int64) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO auth_grants (id, user_id, client_id, scope, nonce, auth_time, created_at)
                VALUES (\(bind: grant.id), \(bind: grant.userID), \(bind: grant.clientID), \(bind: grant.scope),
                        \(bind: grant.nonce), \(bind: grant.authTime), \(bind: now))
                """
            ).run()
        }
    }

    public func createCode(
        _ code: String, grantID: String, redirectURI: String, codeChallenge: String?, expiresAt: Int64
    ) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO auth_codes (code_hash, grant_id, redirect_uri, code_challenge, expires_at)
                VALUES (\(bind: SecretDigest.hash(code)), \(bind: grantID), \(bind: redirectURI),
                        \(bind: codeChallenge), \(bind: expiresAt))
                """
            ).run()
        }
    }

    /// Marks the code used and returns its grant; a second use revokes the grant.
    public func redeemCode(_ code: String, clientID: String, now: Int64) async throws -> CodeOutcome {
        try await store.transaction { db in
            let digest = SecretDigest.hash(code)
            guard
                let row = try await db.raw(
                    "SELECT grant_id, redirect_uri, code_challenge, expires_at FROM auth_codes WHERE code_hash = \(bind: digest)"
                ).first()
            else { return .invalid }
            let grantID = try row.decode(column: "grant_id", as: String.self)
            guard let grant = try await Self.grant(id: grantID, in: db), grant.clientID == clientID else {
                return .invalid
            }
            // The conditional update, not the read above, decides who redeems the code: two concurrent
            // PostgreSQL transactions may both have read used_at as NULL.
            let claimed = try await db.raw(
                "UPDATE auth_codes SET used_at = \(bind: now) WHERE code_hash = \(bind: digest) AND used_at IS NULL RETURNING code_hash"
            ).first()
            if claimed == nil {
                try await Self.revoke(grantID: grantID, now: now, in: db)
                return .reused
            }
            guard try row.decode(column: "expires_at", as: Int64.self) > now else { return .expired }
            guard !grant.revoked else { return .invalid }
            return .redeemed(
                grant, redirectURI: try row.decode(column: "redirect_uri", as: String.self),
                codeChallenge: try row.decode(column: "code_challenge", as: String?.self))
        }
    }

    public func createRefreshToken(_ token: String, grantID: String, now: Int64, expiresAt: Int64) async throws {
        try await store.transaction { db in
            try await Self.insertRefreshToken(token, grantID: grantID, now: now, expiresAt: expiresAt, in: db)
        }
    }

    static func insertRefreshToken(
        _ token: String, grantID: String, now: Int64, expiresAt: Int64, in db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO auth_refresh_tokens (token_hash, grant_id, created_at, expires_at)
            VALUES (\(bind: SecretDigest.hash(token)), \(bind: grantID), \(bind: now), \(bind: expiresAt))
            """
        ).run()
    }

    /// Uses `token` once: stores `replacement` in its place and returns the grant with its account (nil for a
    /// deleted one), or detects a replay.
    ///
    /// This is the hottest path of the service, so it is three statements and no explicit transaction: the
    /// conditional update alone decides who may rotate (two concurrent uses cannot both win), and a crash between
    /// the update and the insert only costs that client a new sign-in, never a token it should not have.
    public func rotateRefreshToken(
        _ token: String, clientID: String, replacement: String, now: Int64, expiresAt: Int64
    ) async throws -> RefreshOutcome {
        try await store.read { db in
            let digest = SecretDigest.hash(token)
            if let claimed = try await db.raw(
                """
                UPDATE auth_refresh_tokens SET used_at = \(bind: now)
                WHERE token_hash = \(bind: digest) AND used_at IS NULL AND expires_at > \(bind: now)
                RETURNING grant_id
                """
            ).first() {
                let grantID = try claimed.decode(column: "grant_id", as: String.self)
                guard let (grant, account) = try await Self.grantWithAccount(id: grantID, in: db),
                    grant.clientID == clientID, !grant.revoked
                else { return .invalid }
                try await Self.insertRefreshToken(replacement, grantID: grantID, now: now, expiresAt: expiresAt, in: db)
                return .rotated(grant, account)
            }
            guard
                let row = try await db.raw(
                    "SELECT grant_id, used_at FROM auth_refresh_tokens WHERE token_hash = \(bind: digest)"
                ).first(), try row.decode(column: "used_at", as: Int64?.self) != nil
            else { return .invalid }
            let grantID = try row.decode(column: "grant_id", as: String.self)
            guard let grant = try await Self.grant(id: grantID, in: db), grant.clientID == clientID else {
                return .invalid
            }
            try await Self.revoke(grantID: grantID, now: now, in: db)
            return .reuseDetected
        }
    }

    /// A grant and its account (with groups) in one query.
    static func grantWithAccount(id: String, in db: any SQLDatabase) async throws -> (Grant, Account?)? {
        let rows = try await db.raw(
            """
            SELECT g.user_id, g.client_id, g.scope, g.nonce, g.auth_time, g.revoked_at,
                   u.username, u.display_name, u.email, u.disabled, u.is_admin, u.created_at, m.group_name
            FROM auth_grants g
            LEFT JOIN auth_users u ON u.id = g.user_id
            LEFT JOIN auth_group_members m ON m.user_id = u.id
            WHERE g.id = \(bind: id) ORDER BY m.group_name
            """
        ).all()
        guard let first = rows.first else { return nil }
        let userID = try first.decode(column: "user_id", as: String?.self)
        let grant = Grant(
            id: id, userID: userID, clientID: try first.decode(column: "client_id", as: String.self),
            scope: try first.decode(column: "scope", as: String.self),
            nonce: try first.decode(column: "nonce", as: String?.self),
            authTime: try first.decode(column: "auth_time", as: Int64.self),
            revoked: try first.decode(column: "revoked_at", as: Int64?.self) != nil)
        guard let userID, try first.decode(column: "username", as: String?.self) != nil else { return (grant, nil) }
        let groups = try rows.compactMap { try $0.decode(column: "group_name", as: String?.self) }
        return (grant, try UserStore.account(from: first, id: userID, groups: groups))
    }

    /// The grant a refresh token belongs to, if the token is live (for revocation and introspection).
    public func grantOfRefreshToken(_ token: String, now: Int64) async throws -> Grant? {
        try await store.read { db in
            guard
                let row = try await db.raw(
                    "SELECT grant_id, expires_at, used_at FROM auth_refresh_tokens WHERE token_hash = \(bind: SecretDigest.hash(token))"
                ).first(),
                try row.decode(column: "used_at", as: Int64?.self) == nil,
                try row.decode(column: "expires_at", as: Int64.self) > now
            else { return nil }
            return try await Self.grant(id: try row.decode(column: "grant_id", as: String.self), in: db)
        }
    }

    public func grant(id: String) async throws -> Grant? {
        try await store.read { db in try await Self.grant(id: id, in: db) }
    }

    public func revoke(grantID: String, now: Int64) async throws {
        try await store.transaction { db in try await Self.revoke(grantID: grantID, now: now, in: db) }
    }

    /// Revokes every grant of a user (logout everywhere, disabled account).
    public func revokeAll(userID: String, now: Int64) async throws {
        try await store.transaction { db in
            try await db.raw(
                "UPDATE auth_grants SET revoked_at = \(bind: now) WHERE user_id = \(bind: userID) AND revoked_at IS NULL"
            ).run()
        }
    }

    /// Deletes codes and refresh tokens that can no longer be used; grants stay for auditing until they expire.
    public func purgeExpired(now: Int64) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM auth_codes WHERE expires_at < \(bind: now - 3600)").run()
            try await db.raw("DELETE FROM auth_refresh_tokens WHERE expires_at < \(bind: now)").run()
        }
    }

    static func revoke(grantID: String, now: Int64, in db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE auth_grants SET revoked_at = \(bind: now) WHERE id = \(bind: grantID) AND revoked_at IS NULL"
        ).run()
    }

    static func grant(id: String, in db: any SQLDatabase) async throws -> Grant? {
        guard let row = try await db.raw("SELECT * FROM auth_grants WHERE id = \(bind: id)").first() else { return nil }
        return Grant(
            id: id, userID: try row.decode(column: "user_id", as: String?.self),
            clientID: try row.decode(column: "client_id", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            nonce: try row.decode(column: "nonce", as: String?.self),
            authTime: try row.decode(column: "auth_time", as: Int64.self),
            revoked: try row.decode(column: "revoked_at", as: Int64?.self) != nil)
    }
}

extension GrantStore {
    /// Moves a code's expiry into the past, so tests need not wait for it.
    package func expireCodeForTesting(_ code: String) async throws {
        try await store.transaction { db in
            try await db.raw("UPDATE auth_codes SET expires_at = 0 WHERE code_hash = \(bind: SecretDigest.hash(code))")
                .run()
        }
    }
}
