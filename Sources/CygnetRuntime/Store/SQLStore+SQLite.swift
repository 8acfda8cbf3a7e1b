import Logging
import NIOPosix
import SQLKit
import SQLiteKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension SQLStore {
    /// Settings for the shared file: WAL lets the `cygnet` CLI read while the server writes; the busy timeout makes
    /// either wait for the other's write lock instead of failing at once. `busy_timeout` comes first so that the
    /// switch to WAL, which needs the lock, waits too.
    static let sqlitePragmas = [
        "PRAGMA busy_timeout = 5000",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    ]

    static func withSQLiteStore<R: Sendable>(
        path: String,
        logger: Logger,
        _ body: @Sendable (SQLStore) async throws -> R
    ) async throws -> R {
        let connection = try await self.openSQLite(path: path, logger: logger)
        let direct = path == ":memory:" ? nil : DirectSQLite(path: path)
        let store = SQLStore(backend: .sqlite(connection, AsyncSerialLock()), logger: logger, direct: direct)
        let result: R
        do {
            result = try await body(store)
        } catch {
            direct?.close()
            try? await connection.close()
            throw error
        }
        direct?.close()
        try await connection.close()
        return result
    }

    private static func openSQLite(path: String, logger: Logger) async throws -> SQLiteConnection {
        var logger = logger
        logger[metadataKey: "database"] = "\(path)"
        let storage: SQLiteConnection.Storage
        if path == ":memory:" {
            storage = .memory
        } else {
            try await NIOThreadPool.singleton.runIfActive { [logger] in
                try Self.prepareSQLiteFile(path: path, logger: logger)
            }
            storage = .file(path: path)
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        } catch {
            throw StoreError.cannotOpen("Could not open the SQLite database \(path): \(error).", underlying: error)
        }
        do {
            try await self.configure(connection, isFile: storage != .memory, logger: logger)
        } catch {
            try? await connection.close()
            throw StoreError.cannotOpen(
                "Could not set up the SQLite database \(path) (is it an SQLite file, and is the disk writable?): "
                    + "\(error).",
                underlying: error
            )
        }
        logger.debug("Opened the SQLite store")
        return connection
    }

    private static func configure(_ connection: SQLiteConnection, isFile: Bool, logger: Logger) async throws {
        let database = connection.sql(queryLogLevel: nil)
        for pragma in Self.sqlitePragmas {
            try await database.execute(sql: SQLRaw(pragma)) { _ in }
        }
        let journalMode = try await database.raw("PRAGMA journal_mode").first(
            decodingColumn: "journal_mode", as: String.self)
        if isFile && journalMode?.lowercased() != "wal" {
            // Happens on file systems without shared memory (some network mounts); still correct, but the CLI
            // then waits for the server's writes instead of reading beside them.
            logger.warning(
                "SQLite could not switch to WAL journal mode; keep the state directory on a local disk",
                metadata: ["journal-mode": "\(journalMode ?? "unknown")"]
            )
        }
    }

    /// Creates the parent directory (0700) and the file if missing, and gives the file mode 0600: it holds password
    /// hashes and tokens. SQLite gives its -wal and -shm files the same mode.
    static func prepareSQLiteFile(path: String, logger: Logger) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(
                    atPath: directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            }
        } catch {
            throw StoreError.cannotOpen(
                "Could not create the directory \(directory) for the database: \(error).", underlying: error)
        }
        // O_CREAT without O_TRUNC never clobbers a file another process created meanwhile.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw StoreError.cannotOpen("Could not create or open the database file \(path): \(reason).")
        }
        defer { close(descriptor) }
        // Also for a file that existed: one left readable by others is tightened, not kept.
        if fchmod(descriptor, 0o600) != 0 {
            let reason = String(cString: strerror(errno))
            logger.warning(
                "Could not restrict the database file to its owner (mode 0600)", metadata: ["reason": "\(reason)"])
        }
    }
}
