public import CygnetRuntime
import Foundation
public import Logging
public import SQLKit

/// A database the store tests run against: always a fresh SQLite file, and PostgreSQL (each test in its own schema)
/// when `CYGNET_TEST_POSTGRES_URL` is set, e.g. by `scripts/lib/postgres.sh`.
/// It does not import Testing: `swift build` (the README's install) builds this target too, without the test
/// targets' search paths, and swift-testing names arguments by their `description` as well.
public enum TestDatabase: Sendable, CustomStringConvertible {
    case sqlite
    case postgres(url: String)

    public static let postgresURLVariable = "CYGNET_TEST_POSTGRES_URL"

    /// The databases available in this environment; PostgreSQL only when the variable is set.
    public static var all: [TestDatabase] {
        [.sqlite] + (postgresURL.map { [.postgres(url: $0)] } ?? [])
    }

    /// The PostgreSQL server's URL, if this environment has one.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment[postgresURLVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    public static let logger = Logger(label: "cygnet.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Gives `body` a location of its own, which it may open any number of times, and removes it afterwards.
    public func withLocation<R: Sendable>(_ body: (DatabaseLocation) async throws -> R) async throws -> R {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("cygnet-store-tests-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body(.sqlite(path: directory.appendingPathComponent("state/cygnet.sqlite").path))
        case .postgres(let url):
            let schema = "cygnet_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            try await Self.run("CREATE SCHEMA \(schema)", at: url)
            do {
                let separator = url.contains("?") ? "&" : "?"
                let result = try await body(.postgres(url: "\(url)\(separator)search_path=\(schema)"))
                try await Self.run("DROP SCHEMA \(schema) CASCADE", at: url)
                return result
            } catch {
                try? await Self.run("DROP SCHEMA \(schema) CASCADE", at: url)
                throw error
            }
        }
    }

    /// Opens a fresh store for `body`.
    public func withStore<R: Sendable>(_ body: @Sendable (SQLStore) async throws -> R) async throws -> R {
        try await self.withLocation { location in
            try await SQLStore.withStore(location, logger: Self.logger, body)
        }
    }

    private static func run(_ statement: String, at url: String) async throws {
        try await SQLStore.withStore(.postgres(url: url), logger: self.logger) { store in
            try await store.read { database in
                try await database.execute(sql: SQLRaw(statement)) { _ in }
            }
        }
    }
}

/// Test helpers over `SQLDatabase`.
extension SQLDatabase {
    public func count(_ table: String) async throws -> Int {
        try await self.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first(decodingColumn: "n", as: Int.self) ?? -1
    }
}
