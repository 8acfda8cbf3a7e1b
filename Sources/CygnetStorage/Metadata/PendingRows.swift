import CygnetRuntime
import Synchronization

/// Index rows of journaled uploads, held in memory and written to SQLite in large groups: at the journal's
/// checkpoint, when many have gathered, or before anything else reads or changes the index. Until then the upload
/// journal is what makes them durable (each record carries the row's id), so an upload's answer waits for one journal
/// sync and no database commit.
///
/// Why: the commit of a small group of rows (WAL frames, locks) was about a tenth of the CPU a small upload costs.
///
/// Every use of the store's direct connection for `storage_files` goes through here, under one lock, so that an id
/// handed out for a path and an id a listing gives a file it found are never two ids for one file: whichever comes
/// second sees the first.
final class PendingRows: Sendable {
    private struct Row {
        var record: FileIndex.ContentRecord
        var id: Int64
    }

    private struct State {
        var rows: [String: Row] = [:]
        /// Ids reserved in `sqlite_sequence` and not yet handed out: `next..<end`.
        var next: Int64 = 0
        var end: Int64 = 0
    }

    let direct: DirectSQLite
    /// Rows gathered beyond this are written at once, by the upload that adds the next.
    let largestBacklog: Int
    private let state = Mutex(State())
    /// Ids reserved at a time: one write of `sqlite_sequence` per this many new files.
    static let idBlock: Int64 = 1024

    init(direct: DirectSQLite, largestBacklog: Int = 4096) {
        self.direct = direct
        self.largestBacklog = largestBacklog
    }

    var isEmpty: Bool { state.withLock { $0.rows.isEmpty } }

    /// Keeps the rows of `records` (in order; a later record of a path replaces an earlier one) and returns their
    /// ids: the id the path has (pending or written), a given one (recovery), or a new one.
    func add(_ records: [FileIndex.ContentRecord], ids given: [Int64]? = nil) throws -> [Int64] {
        try state.withLock { state in
            var ids: [Int64] = []
            for (position, record) in records.enumerated() {
                let key = record.space + "\u{0}" + record.path
                let id: Int64
                if let chosen = given?[position] {
                    id = chosen
                } else if let pending = state.rows[key] {
                    id = pending.id
                } else if let written = try writtenID(space: record.space, path: record.path) {
                    id = written
                } else {
                    id = try newID(&state)
                }
                state.rows[key] = Row(record: record, id: id)
                ids.append(id)
            }
            if state.rows.count > largestBacklog { try write(&state) }
            return ids
        }
    }

    /// Writes every pending row (committed, not yet synced: the journal's checkpoint syncs the database's disk).
    func flush() throws {
        try state.withLock { state in try write(&state) }
    }

    /// Runs `body` in a transaction of the direct connection once every pending row is written, with no row added
    /// meanwhile.
    func afterFlush<R: Sendable>(_ body: (DirectSQLiteConnection) throws -> R) throws -> R {
        try state.withLock { state in
            try write(&state)
            return try direct.transaction(body)
        }
    }

    private func write(_ state: inout State) throws {
        guard !state.rows.isEmpty else { return }
        try direct.transaction { connection in
            for row in state.rows.values {
                let (record, sums) = (row.record, row.record.checksums)
                try connection.run(
                    Self.upsert,
                    [
                        .integer(row.id), .text(record.space), .text(record.path), .text(record.parent),
                        .integer(record.inode), .text(sums.sha1), .text(sums.md5), .text(sums.adler32),
                        .integer(sums.modified), .integer(sums.size),
                    ])
            }
        }
        state.rows.removeAll(keepingCapacity: true)
    }

    private func writtenID(space: String, path: String) throws -> Int64? {
        try direct.statements { connection in
            var id: Int64?
            try connection.run(Self.selectID, [.text(space), .text(path)]) { id = $0.integer(0) }
            return id
        }
    }

    /// The next id of the reserved block, reserving another when it is used up. Ids the store's other connection
    /// gives (`AUTOINCREMENT`) come after the reserved block, so none is handed out twice.
    private func newID(_ state: inout State) throws -> Int64 {
        if state.next >= state.end {
            let start = try direct.transaction { connection in
                var highest: Int64 = 0
                try connection.run(Self.highestID, []) { highest = $0.integer(0) }
                var updated = false
                try connection.run(Self.updateSequence, [.integer(highest + Self.idBlock)]) { _ in updated = true }
                if !updated { try connection.run(Self.insertSequence, [.integer(highest + Self.idBlock)]) }
                return highest + 1
            }
            (state.next, state.end) = (start, start + Self.idBlock)
        }
        defer { state.next += 1 }
        return state.next
    }

    static let selectID = "SELECT id FROM storage_files WHERE space = ? AND path = ?"
    static let highestID = """
        SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'storage_files'), 0),
          coalesce((SELECT max(id) FROM storage_files), 0))
        """
    static let updateSequence = "UPDATE sqlite_sequence SET seq = ? WHERE name = 'storage_files' RETURNING seq"
    static let insertSequence = "INSERT INTO sqlite_sequence (name, seq) VALUES ('storage_files', ?)"
    /// The path's row keeps its id if it has one; a row whose id another path took meanwhile (a move that raced the
    /// upload) is dropped, and the file gets a new id when next listed.
    static let upsert = """
        INSERT INTO storage_files (id, \(FileIndex.contentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        \(FileIndex.contentConflict) ON CONFLICT DO NOTHING
        """
}
