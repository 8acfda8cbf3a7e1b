public import CygnetRuntime
import SQLKit

/// Browser sign-in sessions of cygnet-auth itself (single sign-on across clients); the cookie holds a random id,
/// the store only its digest.
public struct LoginSessionStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func create(id: String, userID: String, authTime: Int64, expiresAt: Int64) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO auth_login_sessions (id_hash, user_id, auth_time, expires_at)
                VALUES (\(bind: SecretDigest.hash(id)), \(bind: userID), \(bind: authTime), \(bind: expiresAt))
                """
            ).run()
        }
    }

    /// The user id and time of login for a live session.
    public func find(id: String, now: Int64) async throws -> (userID: String, authTime: Int64)? {
        try await store.read { db in
            guard
                let row = try await db.raw(
                    "SELECT user_id, auth_time, expires_at FROM auth_login_sessions WHERE id_hash = \(bind: SecretDigest.hash(id))"
                ).first(),
                try row.decode(column: "expires_at", as: Int64.self) > now
            else { return nil }
            return (
                try row.decode(column: "user_id", as: String.self), try row.decode(column: "auth_time", as: Int64.self)
            )
        }
    }

    public func delete(id: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM auth_login_sessions WHERE id_hash = \(bind: SecretDigest.hash(id))").run()
        }
    }
}
