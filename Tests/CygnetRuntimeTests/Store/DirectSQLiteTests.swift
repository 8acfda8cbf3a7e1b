import CygnetTestSupport
import SQLKit
import Testing

@testable import CygnetRuntime

@Suite("Direct SQLite connection") struct DirectSQLiteTests {
    static func withTable(_ body: @Sendable (SQLStore, DirectSQLite) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withStore { store in
            try await store.autocommit { db in
                try await db.raw("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, note TEXT)").run()
            }
            let direct = try #require(store.direct)
            try await body(store, direct)
        }
    }

    @Test("a statement prepared once runs again with other values, and the store's connection sees its rows")
    func statementsAreReusedAndVisibleToTheStore() async throws {
        try await Self.withTable { store, direct in
            let upsert = """
                INSERT INTO items (name, note) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET note = excluded.note RETURNING id
                """
            var ids: [Int64] = []
            for (name, note) in [("a", "first"), ("b", nil), ("a", "second")] {
                try direct.transaction { connection in
                    try connection.run(upsert, [.text(name), .text(note)]) { row in ids.append(row.integer(0)) }
                }
            }
            #expect(ids.count == 3 && ids[0] == ids[2] && ids[0] != ids[1])
            let notes = try await store.read { db in
                try await db.raw("SELECT name, note FROM items ORDER BY name").all().map {
                    try ($0.decode(column: "name", as: String.self), $0.decode(column: "note", as: String?.self))
                }
            }
            #expect(notes.map(\.0) == ["a", "b"] && notes.map(\.1) == ["second", nil])
        }
    }

    @Test("a transaction that throws leaves nothing behind; a broken constraint names itself")
    func failedTransactionsRollBack() async throws {
        try await Self.withTable { store, direct in
            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try direct.transaction { connection in
                    try connection.run("INSERT INTO items (name) VALUES (?)", [.text("kept?")])
                    throw Stop()
                }
            }
            let insertX = { try direct.transaction { try $0.run("INSERT INTO items (name) VALUES (?)", [.text("x")]) } }
            try insertX()
            let error = #expect(throws: StoreError.self) { try insertX() }
            #expect(error?.code == .constraintViolation)
            let names = try await store.read { db in
                try await db.raw("SELECT name FROM items").all(decodingColumn: "name", as: String.self)
            }
            #expect(names == ["x"])
        }
    }

    @Test("an in-memory store has no second connection (it could not see the same database)")
    func memoryStoresHaveNone() async throws {
        try await SQLStore.withStore(.sqlite(path: ":memory:"), logger: TestDatabase.logger) { store in
            #expect(store.direct == nil)
        }
    }
}
