import CygnetTestSupport
import SQLKit
import Testing

@testable import CygnetRuntime

@Suite("SQLStore migrations")
struct SQLStoreMigrationTests {
    static let notes: [Migration] = [
        Migration(
            version: 1,
            name: "create notes",
            statements: ["CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL)"]
        ),
        // Not idempotent on purpose: running it twice would break the primary key.
        Migration(
            version: 2,
            name: "seed welcome note",
            statements: ["INSERT INTO notes (id, body, created_at) VALUES ('welcome', 'hello', 0)"]
        ),
    ]

    static let pinned = Migration(
        version: 3,
        name: "add pinned",
        statements: ["ALTER TABLE notes ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE"]
    )

    @Test("migrations apply once and re-running them is a no-op", arguments: TestDatabase.all)
    func appliesOnce(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.migrate(module: "notes", Self.notes)
            try await store.migrate(module: "notes", Self.notes)
            try await store.migrate(module: "notes", Self.notes + [Self.pinned])
            try await store.migrate(module: "notes", Self.notes + [Self.pinned])

            let versions = try await store.read { database in
                try await database.select().column("version").from("schema_migrations")
                    .where("module", .equal, "notes").orderBy("version")
                    .all(decodingColumn: "version", as: Int.self)
            }
            #expect(versions == [1, 2, 3])
            let notes = try await store.read { try await $0.count("notes") }
            #expect(notes == 1)
            let pinned = try await store.read { database in
                try await database.select().column("pinned").from("notes").first(
                    decodingColumn: "pinned", as: Bool.self)
            }
            #expect(pinned == false)
        }
    }

    @Test("modules keep separate versions", arguments: TestDatabase.all)
    func modulesAreIndependent(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.migrate(module: "notes", Self.notes)
            let other = [
                Migration(version: 1, name: "create tags", statements: ["CREATE TABLE tags (name TEXT PRIMARY KEY)"])
            ]
            try await store.migrate(module: "tags", other)
            try await store.migrate(module: "tags", other)
            let rows = try await store.read { try await $0.count("schema_migrations") }
            #expect(rows == 3)
        }
    }

    @Test("a database migrated by a newer Cygnet is refused", arguments: TestDatabase.all)
    func newerDatabaseIsRefused(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.migrate(module: "notes", Self.notes + [Self.pinned])
            let error = await #expect(throws: StoreError.self) {
                try await store.migrate(module: "notes", Self.notes)
            }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("newer Cygnet") == true)
            #expect(error?.message.contains("version 3") == true)
        }
    }

    @Test("versions that are not 1...n are refused before touching the database", arguments: TestDatabase.all)
    func nonContiguousVersionsAreRefused(database: TestDatabase) async throws {
        let create = Migration(version: 1, name: "create", statements: ["CREATE TABLE gaps (id TEXT PRIMARY KEY)"])
        let lists: [[Migration]] = [
            [create, Migration(version: 3, name: "gap", statements: [])],
            [Migration(version: 2, name: "no first", statements: [])],
            [create, Migration(version: 1, name: "repeat", statements: [])],
            [Migration(version: 0, name: "zero", statements: []), create],
        ]
        try await database.withStore { store in
            for migrations in lists {
                let error = await #expect(throws: StoreError.self) {
                    try await store.migrate(module: "gaps", migrations)
                }
                #expect(error?.code == .migration)
                #expect(error?.message.contains("without gaps or repeats") == true)
            }
            try await store.migrate(module: "gaps", [create])
            let versions = try await store.read { try await $0.count("schema_migrations") }
            #expect(versions == 1)
        }
    }

    @Test("migrations given out of order are applied in version order", arguments: TestDatabase.all)
    func appliesInVersionOrder(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.migrate(module: "notes", Self.notes.reversed())
            let notes = try await store.read { try await $0.count("notes") }
            #expect(notes == 1)
        }
    }

    @Test("a failing migration is rolled back and the version stays", arguments: TestDatabase.all)
    func failingMigrationRollsBack(database: TestDatabase) async throws {
        let broken = Migration(
            version: 3,
            name: "half done",
            statements: [
                "CREATE TABLE attachments (id TEXT PRIMARY KEY)",
                "INSERT INTO notes (id, body, created_at) VALUES ('second', 'x', 1)",
                "THIS IS NOT SQL",
            ]
        )
        try await database.withStore { store in
            try await store.migrate(module: "notes", Self.notes)
            let error = await #expect(throws: StoreError.self) {
                try await store.migrate(module: "notes", Self.notes + [broken])
            }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("half done") == true)

            let notes = try await store.read { try await $0.count("notes") }
            #expect(notes == 1)
            await #expect(throws: StoreError.self) {
                _ = try await store.read { try await $0.count("attachments") }
            }
            // The fixed migration applies cleanly afterwards.
            try await store.migrate(module: "notes", Self.notes + [Self.pinned])
        }
    }

    @Test("PostgreSQL runs postgresStatements instead of statements", arguments: TestDatabase.all)
    func postgresOverride(database: TestDatabase) async throws {
        let migration = Migration(
            version: 1,
            name: "dialect marker",
            statements: ["CREATE TABLE marker (id TEXT PRIMARY KEY, dialect TEXT NOT NULL DEFAULT 'sqlite')"],
            postgresStatements: ["CREATE TABLE marker (id TEXT PRIMARY KEY, dialect TEXT NOT NULL DEFAULT 'postgres')"]
        )
        try await database.withStore { store in
            try await store.migrate(module: "marker", [migration])
            let dialect = try await store.transaction { database in
                try await database.insert(into: "marker").columns("id").values(SQLBind("x")).run()
                return try await database.select().column("dialect").from("marker")
                    .first(decodingColumn: "dialect", as: String.self)
            }
            #expect(dialect == (store.dialect == .postgres ? "postgres" : "sqlite"))
        }
    }
}
