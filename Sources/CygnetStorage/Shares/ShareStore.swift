public import CygnetRuntime
import Foundation
import SQLKit

/// Shares in SQL, by id, by owner and path, by recipient and by link token.
public struct ShareStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    static let columns =
        "id, owner, path, is_directory, share_type, share_with, permissions, token, password_hash, expires_at, label, created_at"

    public func create(_ share: Share) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO storage_shares (\(unsafeRaw: Self.columns)) VALUES (\(bind: share.id), \(bind: share.owner),
                  \(bind: share.path.description), \(bind: share.isDirectory), \(bind: share.kind.rawValue),
                  \(bind: share.recipient), \(bind: share.permissions.rawValue), \(bind: share.token),
                  \(bind: share.passwordHash), \(bind: share.expires), \(bind: share.label), \(bind: share.createdAt))
                """
            ).run()
        }
    }

    public func update(_ share: Share) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                UPDATE storage_shares SET permissions = \(bind: share.permissions.rawValue),
                  password_hash = \(bind: share.passwordHash), expires_at = \(bind: share.expires),
                  label = \(bind: share.label) WHERE id = \(bind: share.id)
                """
            ).run()
        }
    }

    public func delete(id: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM storage_shares WHERE id = \(bind: id)").run()
        }
    }

    public func find(id: String) async throws -> Share? {
        try await select("WHERE id = \(bind: id)").first
    }

    public func find(token: String) async throws -> Share? {
        try await select("WHERE token = \(bind: token) AND share_type = 3").first
    }

    /// Shares the user made, optionally only those of one path.
    public func owned(by owner: String, path: SpacePath? = nil) async throws -> [Share] {
        if let path {
            return try await select(
                "WHERE owner = \(bind: owner) AND path = \(bind: path.description) ORDER BY created_at")
        }
        return try await select("WHERE owner = \(bind: owner) ORDER BY created_at")
    }

    /// Shares given to the user directly or to one of their groups.
    public func received(by user: String, groups: [String]) async throws -> [Share] {
        let direct = try await select(
            "WHERE share_type = 0 AND share_with = \(bind: user) AND owner <> \(bind: user) ORDER BY created_at")
        var throughGroups: [Share] = []
        for group in groups {
            throughGroups += try await select(
                "WHERE share_type = 1 AND share_with = \(bind: group) AND owner <> \(bind: user) ORDER BY created_at")
        }
        return direct + throughGroups.filter { shared in !direct.contains { $0.id == shared.id } }
    }

    /// Follows a rename or delete of shared items on the owner's side.
    public func moved(owner: String, from source: SpacePath, to destination: SpacePath) async throws {
        let from = source.description
        try await store.transaction { db in
            try await db.raw(
                """
                UPDATE storage_shares SET path = \(bind: destination.description) || substr(path, length(\(bind: from)) + 1)
                WHERE owner = \(bind: owner) AND (path = \(bind: from)
                  OR substr(path, 1, length(\(bind: from)) + 1) = \(bind: from + "/"))
                """
            ).run()
        }
    }

    public func removed(owner: String, path: SpacePath) async throws {
        let key = path.description
        try await store.transaction { db in
            try await db.raw(
                """
                DELETE FROM storage_shares WHERE owner = \(bind: owner) AND (path = \(bind: key)
                  OR substr(path, 1, length(\(bind: key)) + 1) = \(bind: key + "/"))
                """
            ).run()
        }
    }

    private func select(_ condition: SQLQueryString) async throws -> [Share] {
        try await store.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM storage_shares " + condition).all().map(Self.share)
        }
    }

    static func share(from row: any SQLRow) throws -> Share {
        Share(
            id: try row.decode(column: "id", as: String.self), owner: try row.decode(column: "owner", as: String.self),
            path: try SpacePath(plain: try row.decode(column: "path", as: String.self)),
            isDirectory: try row.decode(column: "is_directory", as: Bool.self),
            kind: Share.Kind(rawValue: try row.decode(column: "share_type", as: Int.self)) ?? .user,
            recipient: try row.decode(column: "share_with", as: String?.self),
            permissions: SharePermissions(rawValue: try row.decode(column: "permissions", as: Int.self)),
            token: try row.decode(column: "token", as: String?.self),
            passwordHash: try row.decode(column: "password_hash", as: String?.self),
            expires: try row.decode(column: "expires_at", as: Int64?.self),
            label: try row.decode(column: "label", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }
}
