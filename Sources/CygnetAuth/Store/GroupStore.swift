public import CygnetRuntime
import SQLKit

/// Groups (classes) and their members in the SQL store.
public struct GroupStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func create(_ name: String, description: String = "", now: Int64) async throws {
        try await store.transaction { db in
            do {
                try await db.raw(
                    "INSERT INTO auth_groups (name, description, created_at) VALUES (\(bind: name), \(bind: description), \(bind: now))"
                ).run()
            } catch  where StoreError.isUniqueViolation(error) {
                throw AuthError(.alreadyExists, "the group '\(name)' already exists")
            }
        }
    }

    static func ensureGroup(_ name: String, now: Int64, in db: any SQLDatabase) async throws {
        try await db.raw(
            "INSERT INTO auth_groups (name, description, created_at) VALUES (\(bind: name), '', \(bind: now)) ON CONFLICT DO NOTHING"
        ).run()
    }

    public func list() async throws -> [AccountGroup] {
        try await store.read { db in
            let rows = try await db.raw(
                """
                SELECT g.name, g.description, u.username FROM auth_groups g
                LEFT JOIN auth_group_members m ON m.group_name = g.name
                LEFT JOIN auth_users u ON u.id = m.user_id
                ORDER BY g.name, u.username
                """
            ).all()
            var groups: [AccountGroup] = []
            for row in rows {
                let name = try row.decode(column: "name", as: String.self)
                let member = try row.decode(column: "username", as: String?.self)
                if groups.last?.name != name {
                    groups.append(
                        AccountGroup(name: name, description: try row.decode(column: "description", as: String.self)))
                }
                if let member { groups[groups.count - 1].members.append(member) }
            }
            return groups
        }
    }

    public func find(_ name: String) async throws -> AccountGroup? {
        try await list().first { $0.name == name }
    }

    public func delete(_ name: String) async throws {
        try await store.transaction { db in
            try await Self.requireGroup(name, in: db)
            try await db.raw("DELETE FROM auth_group_members WHERE group_name = \(bind: name)").run()
            try await db.raw("DELETE FROM auth_groups WHERE name = \(bind: name)").run()
        }
    }

    public func addMembers(_ usernames: [String], to group: String) async throws {
        try await changeMembers(usernames, of: group) { db, userID in
            try await db.raw(
                "INSERT INTO auth_group_members (group_name, user_id) VALUES (\(bind: group), \(bind: userID)) ON CONFLICT DO NOTHING"
            ).run()
        }
    }

    public func removeMembers(_ usernames: [String], from group: String) async throws {
        try await changeMembers(usernames, of: group) { db, userID in
            try await db.raw(
                "DELETE FROM auth_group_members WHERE group_name = \(bind: group) AND user_id = \(bind: userID)"
            ).run()
        }
    }

    private func changeMembers(
        _ usernames: [String], of group: String,
        _ change: @escaping @Sendable (any SQLDatabase, String) async throws -> Void
    ) async throws {
        try await store.transaction { db in
            try await Self.requireGroup(group, in: db)
            for username in usernames {
                guard
                    let row = try await db.raw("SELECT id FROM auth_users WHERE username = \(bind: username)").first()
                else { throw AuthError(.notFound, "there is no user named '\(username)'") }
                try await change(db, try row.decode(column: "id", as: String.self))
            }
        }
    }

    static func requireGroup(_ name: String, in db: any SQLDatabase) async throws {
        guard try await db.raw("SELECT name FROM auth_groups WHERE name = \(bind: name)").first() != nil else {
            throw AuthError(.notFound, "there is no group named '\(name)'")
        }
    }
}
