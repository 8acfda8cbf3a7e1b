public import Logging
import PostgresKit
public import SQLKit
import SQLiteKit

/// The shared SQL database of all Cygnet services: one SQLite file by default, PostgreSQL for larger installations,
/// both reached through SQLKit's `SQLDatabase`.
///
/// On SQLite the store has one connection and lets one `read` or `transaction` use it at a time, in arrival order.
/// On PostgreSQL each call leases a connection from a `PostgresClient` pool, so calls run concurrently.
/// Calls don't nest: calling `read` or `transaction` from inside a body throws ``StoreError/Code/nestedAccess``
/// (on SQLite it would wait for itself forever).
public final class SQLStore: Sendable {
    enum Backend: Sendable {
        case sqlite(SQLiteConnection, AsyncSerialLock)
        case postgres(PostgresClient)
    }

    public let dialect: SQLStoreDialect
    let backend: Backend
    let logger: Logger
    /// A synchronous second connection for hot statements, on an SQLite file (not in memory, not PostgreSQL).
    public let direct: DirectSQLite?

    /// The stores whose connection the current task holds, to turn a would-be deadlock into an error.
    @TaskLocal static var storesInUse: Set<ObjectIdentifier> = []

    init(backend: Backend, logger: Logger, direct: DirectSQLite? = nil) {
        self.backend = backend
        self.logger = logger
        self.direct = direct
        switch backend {
        case .sqlite: self.dialect = .sqlite
        case .postgres: self.dialect = .postgres
        }
    }

    /// Opens the store, runs `body`, closes the store.
    ///
    /// For PostgreSQL it first connects once to report a bad address, password or database name as a
    /// ``StoreError/Code/cannotOpen`` error, then runs the `PostgresClient` in a child task for the duration of `body`.
    public static func withStore<R: Sendable>(
        _ location: DatabaseLocation,
        logger: Logger,
        _ body: @Sendable (SQLStore) async throws -> R
    ) async throws -> R {
        switch location {
        case .sqlite(let path):
            return try await self.withSQLiteStore(path: path, logger: logger, body)
        case .postgres(let url):
            return try await self.withPostgresStore(url: url, logger: logger, body)
        }
    }

    /// Runs queries that need no transaction; each statement commits on its own.
    public func read<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await self.withSession { database in
            try await body(database)
        }
    }

    /// Runs writes that need no transaction: each statement commits on its own. One upsert is atomic by itself, and
    /// on SQLite a `BEGIN … COMMIT` around it costs two more trips to the database thread.
    public func autocommit<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await self.withSession { database in
            try await body(database)
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT` on one connection; rolls back and rethrows if `body` throws.
    ///
    /// SQLite starts with `BEGIN IMMEDIATE`, taking the write lock at once, so transactions run one after another,
    /// also against other processes (which wait up to 5 s for it). PostgreSQL runs transactions concurrently at
    /// READ COMMITTED: for a read-modify-write, lock the rows read (`.for(.update)` on an SQLKit select, which
    /// SQLite ignores) or write in one statement (`SET n = n + 1`, `ON CONFLICT … DO UPDATE`).
    public func transaction<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let begin = self.dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await self.withSession { database in
            try await database.execute(sql: SQLRaw(begin)) { _ in }
            let result: R
            do {
                result = try await body(database)
                try await database.execute(sql: SQLRaw("COMMIT")) { _ in }
            } catch {
                await self.rollBack(database, after: error)
                throw error
            }
            return result
        }
    }

    /// Rolls back after a failed body or COMMIT. A failure here is logged, not thrown: the caller needs the
    /// original error, and the database may already have ended the transaction itself (SQLite does on some errors).
    private func rollBack(_ database: any SQLDatabase, after error: any Error) async {
        do {
            try await database.execute(sql: SQLRaw("ROLLBACK")) { _ in }
        } catch let rollbackError {
            self.logger.debug(
                "ROLLBACK after a failed transaction did not succeed",
                metadata: [
                    "error": "\(String(describing: error))", "rollback-error": "\(String(describing: rollbackError))",
                ]
            )
        }
    }

    /// Gives `body` a connection for its whole duration and maps driver errors to `StoreError`.
    private func withSession<R: Sendable>(_ body: (any SQLDatabase) async throws -> R) async throws -> R {
        let id = ObjectIdentifier(self)
        guard !Self.storesInUse.contains(id) else {
            throw StoreError(
                code: .nestedAccess,
                message: "The store was used from inside one of its own read or transaction bodies; "
                    + "pass the SQLDatabase given to the body down instead."
            )
        }
        do {
            return try await Self.$storesInUse.withValue(Self.storesInUse.union([id])) {
                switch self.backend {
                case .sqlite(let connection, let lock):
                    return try await lock.withLock {
                        // No query logging: binds carry password hashes and tokens.
                        try await body(connection.sql(queryLogLevel: nil))
                    }
                case .postgres(let client):
                    return try await client.withConnection { connection in
                        try await body(connection.sql(queryLogLevel: nil))
                    }
                }
            }
        } catch {
            throw StoreError.mapped(error)
        }
    }
}
