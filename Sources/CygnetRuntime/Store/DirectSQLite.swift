import Synchronization
// sqlite-nio's own copy of SQLite, not the system library: two copies of SQLite in one process do not see each
// other's locks on the same file (POSIX locks belong to the process, and each copy keeps its own table of them;
// https://sqlite.org/howtocorrupt.html §2.2.1), so a second copy writing the store's file could corrupt it.
import VaporCSQLite

/// A second, synchronous connection to the store's SQLite file, for a few hot statements run from threads that are
/// already off the event loop (an upload's commit, on a file thread). Through `SQLStore` every statement is prepared
/// anew and costs trips to sqlite-nio's thread and back; here it is prepared once and runs where the caller is.
///
/// One statement runs at a time (a mutex); SQLite's write lock and busy timeout order it against the store's own
/// connection and against other processes, as for any second connection.
public final class DirectSQLite: Sendable {
    private let connection: Mutex<DirectSQLiteConnection>
    /// The database file.
    public let path: String

    /// Opens nothing yet: most services never use it, and an unused connection would still cost memory.
    init(path: String) {
        self.path = path
        connection = Mutex(DirectSQLiteConnection(path: path))
    }

    /// Finalizes the statements and closes the connection; later calls throw.
    func close() {
        connection.withLock { $0.close() }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back and rethrows if it throws.
    public func transaction<R>(_ body: (DirectSQLiteConnection) throws -> R) throws -> R {
        try connection.withLock { connection throws in
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
                return result
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body`'s statements outside a transaction (each one its own): for reads.
    public func statements<R>(_ body: (DirectSQLiteConnection) throws -> R) throws -> R {
        try connection.withLock { connection throws in try body(connection) }
    }
}

/// The connection inside `DirectSQLite`, used by one thread at a time: only under its mutex, which is what makes
/// it safe to pass between threads.
public final class DirectSQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var closed = false
    private var statements: [String: OpaquePointer] = [:]
    private let path: String

    fileprivate init(path: String) {
        self.path = path
    }

    fileprivate func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        sqlite_nio_sqlite3_close(handle)
        handle = nil
        closed = true
    }

    fileprivate func execute(_ sql: String) throws(StoreError) {
        let handle = try open()
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else {
            throw Self.failure(handle, code: Self.code(sqlite_nio_sqlite3_errcode(handle)), "\(sql) failed")
        }
    }

    /// The handle, opened on first use with the store connection's settings (`synchronous` and `busy_timeout` are
    /// per connection).
    private func open() throws(StoreError) -> OpaquePointer {
        if let handle { return handle }
        guard !closed else {
            throw StoreError(code: .unavailable, message: "The database connection to \(path) is closed.")
        }
        var opened: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let opened else {
            let reason = opened.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(opened)
            throw StoreError.cannotOpen("Could not open a second connection to the SQLite database \(path): \(reason).")
        }
        for pragma in SQLStore.sqlitePragmas where !pragma.contains("journal_mode") {
            guard sqlite_nio_sqlite3_exec(opened, pragma, nil, nil, nil) == SQLITE_OK else {
                let reason = String(cString: sqlite_nio_sqlite3_errmsg(opened))
                sqlite_nio_sqlite3_close(opened)
                throw StoreError.cannotOpen("Could not set up a second connection to \(path) (\(pragma)): \(reason).")
            }
        }
        handle = opened
        return opened
    }

    /// Runs one statement (prepared on first use) with `binds`, giving each result row to `row`.
    public func run(_ sql: String, _ binds: [DirectSQLiteValue], row: (DirectSQLiteRow) throws -> Void = { _ in })
        throws
    {
        let handle = try open()
        let statement: OpaquePointer
        if let prepared = statements[sql] {
            statement = prepared
        } else {
            var prepared: OpaquePointer?
            guard
                sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
                    == SQLITE_OK, let prepared
            else { throw Self.failure(handle, code: .queryFailed, "could not prepare a statement") }
            statements[sql] = prepared
            statement = prepared
        }
        // Reset even after a failure: a statement left mid-way would keep a read snapshot or the write lock.
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        try Self.bind(binds, to: statement, handle: handle)
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else {
                throw Self.failure(handle, code: Self.code(status), "a statement failed")
            }
            try row(DirectSQLiteRow(statement: statement))
        }
    }

    private static func code(_ status: Int32) -> StoreError.Code {
        switch status & 0xFF {
        case SQLITE_CONSTRAINT: .constraintViolation
        case SQLITE_BUSY, SQLITE_LOCKED: .conflict
        default: .queryFailed
        }
    }

    private static func bind(_ values: [DirectSQLiteValue], to statement: OpaquePointer, handle: OpaquePointer)
        throws(StoreError)
    {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch value {
                case .null: sqlite_nio_sqlite3_bind_null(statement, index)
                case .integer(let number): sqlite_nio_sqlite3_bind_int64(statement, index, number)
                case .text(let text):
                    sqlite_nio_sqlite3_bind_text64(
                        statement, index, text, UInt64(text.utf8.count), Self.copyNow, UInt8(SQLITE_UTF8))
                }
            guard status == SQLITE_OK else {
                throw failure(handle, code: .queryFailed, "could not bind parameter \(index)")
            }
        }
    }

    /// SQLITE_TRANSIENT: SQLite copies the bound text before the call returns.
    private static let copyNow = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func failure(_ handle: OpaquePointer, code: StoreError.Code, _ what: String) -> StoreError {
        StoreError(code: code, message: "SQLite: \(what): \(String(cString: sqlite_nio_sqlite3_errmsg(handle)))")
    }
}

/// A value bound to a statement of `DirectSQLite`.
public enum DirectSQLiteValue: Sendable {
    case null
    case integer(Int64)
    case text(String)

    public static func text(_ value: String?) -> Self { value.map { .text($0) } ?? .null }
}

/// The current row of a statement; valid only inside the `row` closure of `DirectSQLiteConnection.run`.
public struct DirectSQLiteRow {
    fileprivate let statement: OpaquePointer

    public func integer(_ column: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(statement, column) }
}
