public import CygnetRuntime
import Foundation
import SQLKit

/// Users, their running servers and browser sessions in the SQL store.
public struct HubUserStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    /// Creates the user or refreshes admin flag and groups from cygnet-auth; returns the stored user.
    public func upsert(name: String, isAdmin: Bool, groups: [String], now: Int64) async throws -> HubUser {
        let groupsJSON = try JSONCoding.string(groups.sorted())
        return try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO hub_users (name, is_admin, groups_json, created_at) VALUES
                  (\(bind: name), \(bind: isAdmin), \(bind: groupsJSON), \(bind: now))
                ON CONFLICT (name) DO UPDATE SET is_admin = \(bind: isAdmin), groups_json = \(bind: groupsJSON)
                """
            ).run()
            guard let user = try await Self.users(where: name, in: db).first else {
                throw StoreError(code: .notFound, message: "the user \(name) vanished while it was being saved")
            }
            return user
        }
    }

    public func find(_ name: String) async throws -> HubUser? {
        try await store.read { db in try await Self.users(where: name, in: db).first }
    }

    public func all() async throws -> [HubUser] {
        try await store.read { db in try await Self.users(where: nil, in: db) }
    }

    public func remove(_ name: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM hub_users WHERE name = \(bind: name)").run()
        }
    }

    public func setSavedOptions(_ options: SessionOptions?, for name: String) async throws {
        let text = try options.map { try JSONCoding.string($0) }
        try await store.transaction { db in
            try await db.raw("UPDATE hub_users SET saved_options = \(bind: text) WHERE name = \(bind: name)").run()
        }
    }

    public func setNotice(_ notice: String?, for name: String) async throws {
        try await store.transaction { db in
            try await db.raw("UPDATE hub_users SET notice = \(bind: notice) WHERE name = \(bind: name)").run()
        }
    }

    /// Moves the user's last activity forward (never back).
    public func recordActivity(_ name: String, at time: Int64) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                UPDATE hub_users SET last_activity = \(bind: time)
                WHERE name = \(bind: name) AND (last_activity IS NULL OR last_activity < \(bind: time))
                """
            ).run()
            try await db.raw(
                """
                UPDATE hub_servers SET last_activity = \(bind: time)
                WHERE user_name = \(bind: name) AND last_activity < \(bind: time)
                """
            ).run()
        }
    }

    static func users(where name: String?, in db: any SQLDatabase) async throws -> [HubUser] {
        let columns = "name, is_admin, groups_json, created_at, last_activity, saved_options, notice"
        let rows =
            if let name {
                try await db.raw("SELECT \(unsafeRaw: columns) FROM hub_users WHERE name = \(bind: name)").all()
            } else {
                try await db.raw("SELECT \(unsafeRaw: columns) FROM hub_users ORDER BY name").all()
            }
        return try rows.map { row in
            HubUser(
                name: try row.decode(column: "name", as: String.self),
                isAdmin: try row.decode(column: "is_admin", as: Bool.self),
                groups: try JSONCoding.decode(
                    [String].self, from: try row.decode(column: "groups_json", as: String.self)),
                createdAt: try row.decode(column: "created_at", as: Int64.self),
                lastActivity: try row.decode(column: "last_activity", as: Int64?.self),
                savedOptions: try row.decode(column: "saved_options", as: String?.self).map {
                    try JSONCoding.decode(SessionOptions.self, from: $0)
                },
                notice: try row.decode(column: "notice", as: String?.self))
        }
    }

    // MARK: Servers

    public func saveServer(_ server: StoredServer) async throws {
        let state = try JSONCoding.string(server.spawnerState)
        let options = try JSONCoding.string(server.options)
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO hub_servers (user_name, server_name, spawner_state, user_options, started_at, last_activity)
                VALUES (\(bind: server.userName), \(bind: server.serverName), \(bind: state), \(bind: options),
                        \(bind: server.startedAt), \(bind: server.lastActivity))
                ON CONFLICT (user_name, server_name) DO UPDATE SET spawner_state = \(bind: state),
                  user_options = \(bind: options), started_at = \(bind: server.startedAt),
                  last_activity = \(bind: server.lastActivity)
                """
            ).run()
        }
    }

    public func removeServer(user: String, server: String) async throws {
        try await store.transaction { db in
            try await db.raw(
                "DELETE FROM hub_servers WHERE user_name = \(bind: user) AND server_name = \(bind: server)"
            ).run()
        }
    }

    /// Every stored server, or only `user`'s.
    public func servers(of user: String? = nil) async throws -> [StoredServer] {
        try await store.read { db in
            let columns = "user_name, server_name, spawner_state, user_options, started_at, last_activity"
            let rows =
                if let user {
                    try await db.raw("SELECT \(unsafeRaw: columns) FROM hub_servers WHERE user_name = \(bind: user)")
                        .all()
                } else {
                    try await db.raw("SELECT \(unsafeRaw: columns) FROM hub_servers").all()
                }
            return try rows.map { row in
                StoredServer(
                    userName: try row.decode(column: "user_name", as: String.self),
                    serverName: try row.decode(column: "server_name", as: String.self),
                    spawnerState: try JSONCoding.decode(
                        SpawnerState.self, from: try row.decode(column: "spawner_state", as: String.self)),
                    options: try JSONCoding.decode(
                        SessionOptions.self, from: try row.decode(column: "user_options", as: String.self)),
                    startedAt: try row.decode(column: "started_at", as: Int64.self),
                    lastActivity: try row.decode(column: "last_activity", as: Int64.self))
            }
        }
    }

    // MARK: Browser sessions

    /// A browser session after a login through cygnet-auth; `id` is the cookie value (stored as a digest).
    public func createSession(id: String, user: String, idToken: String, now: Int64, expiresAt: Int64) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO hub_sessions (id_hash, user_name, id_token, created_at, expires_at) VALUES
                  (\(bind: SecretDigest.hash(id)), \(bind: user), \(bind: idToken), \(bind: now), \(bind: expiresAt))
                """
            ).run()
        }
    }

    /// The user name and ID token of a live browser session.
    public func session(id: String, now: Int64) async throws -> (user: String, idToken: String)? {
        try await store.read { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT user_name, id_token FROM hub_sessions
                    WHERE id_hash = \(bind: SecretDigest.hash(id)) AND expires_at > \(bind: now)
                    """
                ).first()
            else { return nil }
            return (
                try row.decode(column: "user_name", as: String.self),
                try row.decode(column: "id_token", as: String.self)
            )
        }
    }

    /// Ends a browser session and every token it issued to session servers.
    public func endSession(id: String) async throws {
        let digest = SecretDigest.hash(id)
        try await store.transaction { db in
            try await db.raw("DELETE FROM hub_sessions WHERE id_hash = \(bind: digest)").run()
            try await db.raw("DELETE FROM hub_tokens WHERE session_id = \(bind: digest)").run()
        }
    }
}

/// JSON in text columns, with sorted keys so stored values compare equal.
enum JSONCoding {
    static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
