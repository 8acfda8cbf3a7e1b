import CSQLite3

/// A SQLite connection for catalogs and history databases: synchronous, because FUSE callbacks and the publisher's
/// worker threads call it directly. Not shared between threads without the owner's lock.
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    let path: String

    init(path: String, readOnly: Bool) throws {
        self.path = path
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SoftwareError(.database, "cannot open the database \(path): \(message)")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw SoftwareError(.database, "\(path): \(message)")
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
            let statement
        else { throw failure("cannot prepare '\(sql)'") }
        return SQLiteStatement(statement: statement, database: self)
    }

    func failure(_ what: String) -> SoftwareError {
        SoftwareError(.database, "\(path): \(what): \(String(cString: sqlite3_errmsg(handle)))")
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

    deinit { sqlite3_finalize(statement) }

    func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch value {
                case .null: sqlite3_bind_null(statement, index)
                case .integer(let number): sqlite3_bind_int64(statement, index, number)
                case .text(let bytes) where bytes.isEmpty:
                    sqlite3_bind_text(statement, index, "", 0, nil)
                case .text(let bytes):
                    bytes.withUnsafeBytes {
                        sqlite3_bind_text(
                            statement, index, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count),
                            cygnet_sqlite_transient())
                    }
                case .blob(let bytes):
                    bytes.withUnsafeBytes {
                        sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), cygnet_sqlite_transient())
                    }
                }
            guard status == SQLITE_OK else { throw database.failure("cannot bind parameter \(index)") }
        }
    }

    /// True while there is a row to read.
    func step() throws -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.failure("query failed")
        }
    }

    /// Binds, runs to completion, resets.
    func run(_ values: [SQLiteValue]) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(statement)
    }

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func bytes(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
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
