import CygnetTestSupport
import SQLKit
import Testing

@testable import CygnetRuntime

@Suite("SQLStore reads and transactions")
struct SQLStoreTransactionTests {
    static let schema = [
        Migration(
            version: 1,
            name: "create users and counters",
            statements: [
                "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, admin BOOLEAN NOT NULL)",
                "CREATE TABLE counters (id TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            ]
        )
    ]

    static func insertUser(_ id: String, name: String, into database: any SQLDatabase) async throws {
        try await database.insert(into: "users").columns("id", "name", "admin")
            .values(SQLBind(id), SQLBind(name), SQLBind(false)).run()
    }

    static func withMigratedStore(_ database: TestDatabase, _ body: @Sendable (SQLStore) async throws -> Void)
        async throws
    {
        try await database.withStore { store in
            try await store.migrate(module: "test", Self.schema)
            try await body(store)
        }
    }

    @Test("a transaction commits what its body wrote", arguments: TestDatabase.all)
    func commit(database: TestDatabase) async throws {
        try await Self.withMigratedStore(database) { store in
            let returned = try await store.transaction { database in
                try await Self.insertUser("u1", name: "ada", into: database)
                try await Self.insertUser("u2", name: "grace", into: database)
                return "done"
            }
            #expect(returned == "done")
            let names = try await store.read { database in
                try await database.select().column("name").from("users").orderBy("name")
                    .all(decodingColumn: "name", as: String.self)
            }
            #expect(names == ["ada", "grace"])
        }
    }

    @Test("a throwing body leaves nothing behind and its error comes out unchanged", arguments: TestDatabase.all)
    func rollback(database: TestDatabase) async throws {
        try await Self.withMigratedStore(database) { store in
            await #expect(throws: ExpectedFailure()) {
                try await store.transaction { database in
                    try await Self.insertUser("u1", name: "ada", into: database)
                    throw ExpectedFailure()
                }
            }
            let users = try await store.read { try await $0.count("users") }
            #expect(users == 0)
            // The connection is usable again: no transaction was left open.
            try await store.transaction { try await Self.insertUser("u1", name: "ada", into: $0) }
            #expect(try await store.read { try await $0.count("users") } == 1)
        }
    }

    @Test("concurrent read-modify-write transactions don't interleave", arguments: TestDatabase.all)
    func concurrentTransactions(database: TestDatabase) async throws {
        let tasks = 50
        try await Self.withMigratedStore(database) { store in
            try await store.transaction { database in
                try await database.insert(into: "counters").columns("id", "value").values(SQLBind("c"), SQLBind(0))
                    .run()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        try await store.transaction { database in
                            // FOR UPDATE on PostgreSQL; SQLite has no such clause and needs none (BEGIN IMMEDIATE).
                            let value =
                                try await database.select().column("value").from("counters")
                                .where("id", .equal, "c").for(.update)
                                .first(decodingColumn: "value", as: Int.self) ?? -1
                            await Task.yield()
                            try await database.update("counters").set("value", to: value + 1)
                                .where("id", .equal, "c").run()
                        }
                    }
                    group.addTask {
                        _ = try await store.read { try await $0.count("counters") }
                    }
                }
                try await group.waitForAll()
            }
            let value = try await store.read { database in
                try await database.select().column("value").from("counters").where("id", .equal, "c")
                    .first(decodingColumn: "value", as: Int.self)
            }
            #expect(value == tasks)
        }
    }

    @Test("a unique violation becomes a constraintViolation that says it is one", arguments: TestDatabase.all)
    func uniqueViolation(database: TestDatabase) async throws {
        try await Self.withMigratedStore(database) { store in
            try await store.transaction { try await Self.insertUser("u1", name: "ada", into: $0) }

            let inTransaction = await #expect(throws: StoreError.self) {
                try await store.transaction { try await Self.insertUser("u2", name: "ada", into: $0) }
            }
            #expect(inTransaction?.code == .constraintViolation)
            #expect(inTransaction.map { StoreError.isUniqueViolation($0) } == true)
            // Both the message and the description name the problem (PostgreSQL's own description is generic).
            #expect(inTransaction?.message.lowercased().contains("unique") == true)
            #expect(inTransaction?.description.contains("Generic description") == false)

            let inRead = await #expect(throws: StoreError.self) {
                try await store.read { try await Self.insertUser("u1", name: "other", into: $0) }
            }
            #expect(inRead?.code == .constraintViolation)
            #expect(inRead.map { StoreError.isUniqueViolation($0) } == true)

            // NOT NULL is a constraint violation too, but not a unique one.
            let notNull = await #expect(throws: StoreError.self) {
                try await store.read { database in
                    try await database.raw("INSERT INTO users (id, name, admin) VALUES ('u3', NULL, FALSE)").run()
                }
            }
            #expect(notNull?.code == .constraintViolation)
            #expect(notNull.map { StoreError.isUniqueViolation($0) } == false)
            #expect(try await store.read { try await $0.count("users") } == 1)
        }
    }

    @Test("bad SQL becomes a queryFailed error", arguments: TestDatabase.all)
    func queryFailure(database: TestDatabase) async throws {
        try await Self.withMigratedStore(database) { store in
            let error = await #expect(throws: StoreError.self) {
                try await store.read { try await $0.raw("SELECT * FROM no_such_table").run() }
            }
            #expect(error?.code == .queryFailed)
            #expect(error?.message.contains("no_such_table") == true)
        }
    }

    @Test("using the store inside its own body fails instead of deadlocking", arguments: TestDatabase.all)
    func nestedAccess(database: TestDatabase) async throws {
        try await Self.withMigratedStore(database) { store in
            let error = await #expect(throws: StoreError.self) {
                try await store.transaction { _ in
                    try await store.read { try await $0.count("users") }
                }
            }
            #expect(error?.code == .nestedAccess)
        }
    }

    @Test("data survives closing and reopening the store", arguments: TestDatabase.all)
    func reopen(database: TestDatabase) async throws {
        try await database.withLocation { location in
            try await SQLStore.withStore(location, logger: TestDatabase.logger) { store in
                try await store.migrate(module: "test", Self.schema)
                try await store.transaction { try await Self.insertUser("u1", name: "ada", into: $0) }
            }
            try await SQLStore.withStore(location, logger: TestDatabase.logger) { store in
                try await store.migrate(module: "test", Self.schema)
                let name = try await store.read { database in
                    try await database.select().column("name").from("users").first(
                        decodingColumn: "name", as: String.self)
                }
                #expect(name == "ada")
            }
        }
    }
}
