import CSQLite3

/// A SQLite connection for catalogs and history databases: synchronous, because FUSE callbacks and the publisher's
/// worker threads call it directly. Not shared between threads without the owner's lock.
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    let path: String

    init(path: String, readOnly: Bool) throws {
        self.path = path
        let flags =
            (readOnly ? CYGNET_SQLITE_OPEN_READONLY : CYGNET_SQLITE_OPEN_READWRITE | CYGNET_SQLITE_OPEN_CREATE)
            | CYGNET_SQLITE_OPEN_NOMUTEX
        let status = cygnet_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == CYGNET_SQLITE_OK else {
            let message = handle.map { String(cString: cygnet_sqlite3_errmsg($0)) } ?? "out of memory"
            cygnet_sqlite3_close(handle)
            throw SoftwareError(.database, "cannot open the database \(path): \(message)")
        }
    }

    deinit { cygnet_sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard cygnet_sqlite3_exec(handle, sql, nil, nil, &error) == CYGNET_SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            cygnet_sqlite3_free(error)
            throw SoftwareError(.database, "\(path): \(message)")
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        guard
            cygnet_sqlite3_prepare_v3(handle, sql, -1, UInt32(CYGNET_SQLITE_PREPARE_PERSISTENT), &statement, nil)
                == CYGNET_SQLITE_OK,
            let statement
        else { throw failure("cannot prepare '\(sql)'") }
        return SQLiteStatement(statement: statement, database: self)
    }

    func failure(_ what: String) -> SoftwareError {
        SoftwareError(.database, "\(path): \(what): \(String(cString: cygnet_sqlite3_errmsg(handle)))")
    }
}

/// A prepared statement: bind, step, read columns, reset.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let database: SQLiteDatabase

    fileprivate init(statement: OpaquePointer, database: SQLiteDatabase) {
        self.statement = statement
        self.database = database
    }

    deinit { cygnet_sqlite3_finalize(statement) }

    func bind(_ values: [SQLiteValue]) throws {
        cygnet_sqlite3_reset(statement)
        cygnet_sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch value {
                case .null: cygnet_sqlite3_bind_null(statement, index)
                case .integer(let number): cygnet_sqlite3_bind_int64(statement, index, number)
                case .text(let bytes) where bytes.isEmpty:
                    cygnet_sqlite3_bind_text(statement, index, "", 0, nil)
                case .text(let bytes):
                    bytes.withUnsafeBytes {
                        cygnet_sqlite3_bind_text(
                            statement, index, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count),
                            cygnet_sqlite_transient())
                    }
                case .blob(let bytes):
                    bytes.withUnsafeBytes {
                        cygnet_sqlite3_bind_blob(
                            statement, index, $0.baseAddress, Int32($0.count), cygnet_sqlite_transient())
                    }
                }
            guard status == CYGNET_SQLITE_OK else { throw database.failure("cannot bind parameter \(index)") }
        }
    }

    /// True while there is a row to read.
    func step() throws -> Bool {
        switch cygnet_sqlite3_step(statement) {
        case CYGNET_SQLITE_ROW: return true
        case CYGNET_SQLITE_DONE: return false
        default: throw database.failure("query failed")
        }
    }

    /// Binds, runs to completion, resets.
    func run(_ values: [SQLiteValue]) throws {
        try bind(values)
        while try step() {}
        reset()
    }

    /// Ends the current read, so the connection holds no snapshot (it matters in a database others write to).
    func reset() { cygnet_sqlite3_reset(statement) }

    func integer(_ column: Int32) -> Int64 { cygnet_sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { cygnet_sqlite3_column_type(statement, column) == CYGNET_SQLITE_NULL }

    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(cygnet_sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = cygnet_sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func text(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }
}

enum SQLiteValue {
    case null
    case integer(Int64)
    case text([UInt8])
    case blob([UInt8])

    static func text(_ string: String) -> SQLiteValue { .text(Array(string.utf8)) }
    static func int(_ value: some BinaryInteger) -> SQLiteValue { .integer(Int64(value)) }
}
