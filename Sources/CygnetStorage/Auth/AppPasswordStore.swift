public import CygnetRuntime
import Foundation
import SQLKit

/// App passwords: long random passwords a person makes for one desktop client and can revoke on its own, so their
/// real password never sits in a sync client's settings. Stored as SHA-256 digests (they are random, not chosen).
public struct AppPasswordStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public struct AppPassword: Sendable, Equatable {
        public var id: String
        public var userName: String
        public var label: String
        public var createdAt: Int64
        public var lastUsed: Int64?
    }

    /// Creates an app password and returns it with the password itself, which is not stored and never shown again.
    public func create(userName: String, label: String, now: Int64) async throws -> (AppPassword, String) {
        let password = Self.newPassword()
        let record = AppPassword(
            id: UUID().uuidString.lowercased(), userName: userName, label: label, createdAt: now, lastUsed: nil)
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO storage_app_passwords (id, user_name, label, password_hash, created_at)
                VALUES (\(bind: record.id), \(bind: userName), \(bind: label),
                  \(bind: SecretDigest.hash(password)), \(bind: now))
                """
            ).run()
        }
        return (record, password)
    }

    /// Whether `password` is one of `userName`'s app passwords; a match is noted as its last use.
    public func verify(userName: String, password: String, now: Int64) async throws -> Bool {
        let digest = SecretDigest.hash(password)
        let owner = try await store.autocommit { db in
            try await db.raw(
                """
                UPDATE storage_app_passwords SET last_used = \(bind: now)
                WHERE password_hash = \(bind: digest) AND user_name = \(bind: userName) RETURNING user_name
                """
            ).first(decodingColumn: "user_name", as: String.self)
        }
        return owner != nil
    }

    public func list(userName: String) async throws -> [AppPassword] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT id, user_name, label, created_at, last_used FROM storage_app_passwords
                WHERE user_name = \(bind: userName) ORDER BY created_at
                """
            ).all().map { row in
                AppPassword(
                    id: try row.decode(column: "id", as: String.self),
                    userName: try row.decode(column: "user_name", as: String.self),
                    label: try row.decode(column: "label", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Int64.self),
                    lastUsed: try row.decodeNil(column: "last_used")
                        ? nil : try row.decode(column: "last_used", as: Int64.self))
            }
        }
    }

    /// Revokes one app password of a user; false when there was none with that id.
    public func revoke(userName: String, id: String) async throws -> Bool {
        try await store.transaction { db in
            let rows = try await db.raw(
                """
                DELETE FROM storage_app_passwords WHERE user_name = \(bind: userName) AND id = \(bind: id)
                RETURNING id
                """
            ).all()
            return !rows.isEmpty
        }
    }

    /// Five groups of five letters and digits (about 148 bits), easy to paste and to read out.
    static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return (0..<5).map { _ in
            String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        }.joined(separator: "-")
    }
}
