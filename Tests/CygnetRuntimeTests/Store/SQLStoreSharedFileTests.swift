import CygnetTestSupport
import SQLKit
import Testing

@testable import CygnetRuntime

@Suite("SQLite file shared by two stores")
struct SQLStoreSharedFileTests {
    static let schema = [
        Migration(version: 1, name: "create events", statements: ["CREATE TABLE events (id TEXT PRIMARY KEY)"])
    ]

    /// Two stores on one file behave like the server and the `cygnet` CLI in separate processes: separate
    /// connections, coordinated only by SQLite's file locks.
    @Test("a second connection waits for the first one's write lock instead of failing")
    func writersWaitForEachOther() async throws {
        try await TestDatabase.sqlite.withLocation { location in
            try await SQLStore.withStore(location, logger: TestDatabase.logger) { server in
                try await server.migrate(module: "events", Self.schema)
                try await SQLStore.withStore(location, logger: TestDatabase.logger) { cli in
                    let (holding, holder) = AsyncStream.makeStream(of: Void.self)
                    async let serverWrite: Void = server.transaction { database in
                        try await database.insert(into: "events").columns("id").values(SQLBind("server")).run()
                        holder.yield()
                        holder.finish()
                    }
                    for await _ in holding { break }  // the server now holds the write lock
                    let seen = try await cli.transaction { database in
                        try await database.insert(into: "events").columns("id").values(SQLBind("cli")).run()
                        return try await database.count("events")
                    }
                    try await serverWrite
                    #expect(seen == 2)
                }
                #expect(try await server.read { try await $0.count("events") } == 2)
            }
        }
    }

    @Test("a reader sees committed data while another connection writes")
    func readersDontWaitForWriters() async throws {
        try await TestDatabase.sqlite.withLocation { location in
            try await SQLStore.withStore(location, logger: TestDatabase.logger) { server in
                try await server.migrate(module: "events", Self.schema)
                try await SQLStore.withStore(location, logger: TestDatabase.logger) { cli in
                    let seenDuringWrite = try await server.transaction { database in
                        try await database.insert(into: "events").columns("id").values(SQLBind("uncommitted")).run()
                        // WAL: the other connection reads the last committed state without waiting for this one.
                        return try await cli.read { try await $0.count("events") }
                    }
                    #expect(seenDuringWrite == 0)
                    #expect(try await cli.read { try await $0.count("events") } == 1)
                }
            }
        }
    }
}
