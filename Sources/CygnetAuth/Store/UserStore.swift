public import CygnetRuntime
import Foundation
import SQLKit

/// Accounts and their group memberships in the SQL store.
public struct UserStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    /// Creates an account (and the groups it names, if missing); the password must already be hashed.
    public func create(_ account: NewAccount, passwordHash: String, now: Int64) async throws -> Account {
        try await store.transaction { db in
            try await Self.insert(account, passwordHash: passwordHash, now: now, into: db)
        }
    }

    /// Creates many accounts in one transaction: all or none.
    public func createAll(_ accounts: [(NewAccount, String)], now: Int64) async throws {
        try await store.transaction { db in
            for (account, hash) in accounts {
                _ = try await Self.insert(account, passwordHash: hash, now: now, into: db)
            }
        }
    }

    static func insert(_ account: NewAccount, passwordHash: String, now: Int64, into db: any SQLDatabase)
        async throws -> Account
    {
        let id = UUID().uuidString.lowercased()
        do {
            try await db.raw(
                """
                INSERT INTO auth_users (id, username, display_name, email, password_hash, disabled, is_admin, created_at)
                VALUES (\(bind: id), \(bind: account.username), \(bind: account.displayName), \(bind: account.email),
                        \(bind: passwordHash), \(bind: false), \(bind: account.isAdmin), \(bind: now))
                """
            ).run()
        } catch  where StoreError.isUniqueViolation(error) {
            throw AuthError(.alreadyExists, "the username '\(account.username)' is already taken")
        }
        for group in account.groups {
            try await GroupStore.ensureGroup(group, now: now, in: db)
            try await db.raw(
                "INSERT INTO auth_group_members (group_name, user_id) VALUES (\(bind: group), \(bind: id)) ON CONFLICT DO NOTHING"
            ).run()
        }
        return Account(
            id: id, username: account.username, displayName: account.displayName, email: account.email,
            isAdmin: account.isAdmin, groups: account.groups.sorted(), createdAt: now)
    }

    public func find(username: String) async throws -> Account? {
        try await store.read { db in
            try await Self.accounts(where: "username", equals: username, in: db).first
        }
    }

    public func find(id: String) async throws -> Account? {
        try await store.read { db in
            try await Self.accounts(where: "id", equals: id, in: db).first
        }
    }

    /// The account and its password hash, for a login.
    public func credentials(username: String) async throws -> (Account, String)? {
        try await store.read { db in
            guard
                let row = try await db.raw(
                    "SELECT id, password_hash FROM auth_users WHERE username = \(bind: username)"
                ).first()
            else { return nil }
            let id = try row.decode(column: "id", as: String.self)
            guard let account = try await Self.accounts(where: "id", equals: id, in: db).first else { return nil }
            return (account, try row.decode(column: "password_hash", as: String.self))
        }
    }

    public func list() async throws -> [Account] {
        try await store.read { db in try await Self.accounts(where: nil, equals: "", in: db) }
    }

    public func setPasswordHash(username: String, hash: String) async throws {
        try await update(username: username) { db in
            try await db.raw("UPDATE auth_users SET password_hash = \(bind: hash) WHERE username = \(bind: username)")
                .run()
        }
    }

    public func setDisabled(username: String, _ disabled: Bool) async throws {
        try await update(username: username) { db in
            try await db.raw("UPDATE auth_users SET disabled = \(bind: disabled) WHERE username = \(bind: username)")
                .run()
        }
    }

    public func setAdmin(username: String, _ admin: Bool) async throws {
        try await update(username: username) { db in
            try await db.raw("UPDATE auth_users SET is_admin = \(bind: admin) WHERE username = \(bind: username)").run()
        }
    }

    public func setProfile(username: String, displayName: String?, email: String?) async throws {
        try await update(username: username) { db in
            if let displayName {
                try await db.raw(
                    "UPDATE auth_users SET display_name = \(bind: displayName) WHERE username = \(bind: username)"
                ).run()
            }
            if let email {
                try await db.raw("UPDATE auth_users SET email = \(bind: email) WHERE username = \(bind: username)")
                    .run()
            }
        }
    }

    public func delete(username: String) async throws {
        try await update(username: username) { db in
            try await db.raw("DELETE FROM auth_users WHERE username = \(bind: username)").run()
        }
    }

    private func update(username: String, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void)
        async throws
    {
        try await store.transaction { db in
            guard
                try await db.raw("SELECT id FROM auth_users WHERE username = \(bind: username)").first() != nil
            else { throw AuthError(.notFound, "there is no user named '\(username)'") }
            try await body(db)
        }
    }

    static func accounts(where column: String?, equals value: String, in db: any SQLDatabase) async throws
        -> [Account]
    {
        let filter: SQLQueryString = column.map { "WHERE u.\(unsafeRaw: $0) = \(bind: value)" } ?? ""
        let rows = try await db.raw(
            """
            SELECT u.id, u.username, u.display_name, u.email, u.disabled, u.is_admin, u.created_at, m.group_name
            FROM auth_users u LEFT JOIN auth_group_members m ON m.user_id = u.id \(filter)
            ORDER BY u.username, m.group_name
            """
        ).all()
        var accounts: [Account] = []
        for row in rows {
            let id = try row.decode(column: "id", as: String.self)
            let group = try row.decode(column: "group_name", as: String?.self)
            if accounts.last?.id == id {
                if let group { accounts[accounts.count - 1].groups.append(group) }
                continue
            }
            accounts.append(try account(from: row, id: id, groups: group.map { [$0] } ?? []))
        }
        return accounts
    }

    /// An account from a row holding the columns of `auth_users` (all but the password hash).
    static func account(from row: any SQLRow, id: String, groups: [String]) throws -> Account {
        Account(
            id: id, username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            email: try row.decode(column: "email", as: String.self),
            isDisabled: try row.decode(column: "disabled", as: Bool.self),
            isAdmin: try row.decode(column: "is_admin", as: Bool.self), groups: groups,
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }
}
