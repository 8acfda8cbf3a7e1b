public import CygnetRuntime
import SQLKit

/// A stored token-signing key. `retireAt` is set when a newer key takes over; the key stays published in the
/// JWKS until then so tokens signed with it remain verifiable.
public struct StoredSigningKey: Sendable, Equatable {
    public var id: String
    public var algorithm: String
    public var privatePEM: String
    public var createdAt: Int64
    public var retireAt: Int64?
}

/// Signing keys in the SQL store (the state directory is private to the service account).
public struct SigningKeyStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func all() async throws -> [StoredSigningKey] {
        try await store.read { db in
            try await db.raw("SELECT * FROM auth_signing_keys ORDER BY created_at, id").all().map { row in
                StoredSigningKey(
                    id: try row.decode(column: "id", as: String.self),
                    algorithm: try row.decode(column: "algorithm", as: String.self),
                    privatePEM: try row.decode(column: "private_pem", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Int64.self),
                    retireAt: try row.decode(column: "retire_at", as: Int64?.self))
            }
        }
    }

    /// Adds `key` as the newest key of its algorithm, schedules the retirement of that algorithm's other keys, and
    /// deletes retired keys.
    public func rotate(to key: StoredSigningKey, retireOthersAt: Int64, now: Int64) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM auth_signing_keys WHERE retire_at IS NOT NULL AND retire_at < \(bind: now)")
                .run()
            try await db.raw(
                """
                UPDATE auth_signing_keys SET retire_at = \(bind: retireOthersAt)
                WHERE retire_at IS NULL AND algorithm = \(bind: key.algorithm)
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO auth_signing_keys (id, algorithm, private_pem, created_at)
                VALUES (\(bind: key.id), \(bind: key.algorithm), \(bind: key.privatePEM), \(bind: key.createdAt))
                """
            ).run()
        }
    }
}
