public import CygnetRuntime
import Foundation
import SQLKit

/// Stable file ids and upload checksums, per space and path. The disk is the truth for what exists; the index
/// gives each path an id the first time anyone sees it (an upload, or a listing that finds a file a session made)
/// and keeps it across renames and content changes, so sync clients recognise moves and never see an id reused.
public struct FileIndex: Sendable {
    let store: SQLStore
    /// Content records of uploads that finish together, written in one statement.
    private let contentWrites: GroupCommit<ContentRecord, Int64>
    /// Rows of journaled uploads not yet in the database (SQLite only: with PostgreSQL every row is committed at
    /// once); everything else that reads or changes the index writes them first.
    private let pending: PendingRows?
    private let fileWork: FileWork

    public init(store: SQLStore) {
        self.init(store: store, fileWork: .pooled)
    }

    /// `fileWork` runs the content writes on the store's direct connection, where it has one (an SQLite file).
    /// `journal` takes the records of journaled uploads in the same group as their rows.
    init(store: SQLStore, fileWork: FileWork, journal: UploadJournal? = nil) {
        self.store = store
        self.fileWork = fileWork
        if let direct = store.direct {
            let pending = PendingRows(direct: direct)
            self.pending = pending
            contentWrites = GroupCommit { records in
                try await fileWork.run {
                    let ids: [Int64]
                    if records.allSatisfy({ $0.journaled != nil }) {
                        // The journal record carries the row until the checkpoint writes it.
                        ids = try pending.add(records)
                    } else {
                        ids = try pending.afterFlush { try Self.writeContent(records, on: $0) }
                    }
                    try journal?.append(Self.entries(records, ids: ids))
                    return ids
                }
            }
        } else {
            pending = nil
            contentWrites = GroupCommit { records in
                let ids = try await Self.writeContent(records, to: store)
                if let journal { try await fileWork.run { try journal.append(Self.entries(records, ids: ids)) } }
                return ids
            }
        }
    }

    /// The journal entries of `records`, each with the id its upload is answered with.
    private static func entries(_ records: [ContentRecord], ids: [Int64]) -> [UploadJournal.Entry] {
        zip(records, ids).compactMap { record, id in
            guard var entry = record.journaled else { return nil }
            entry.record.id = id
            return entry
        }
    }

    /// Writes the rows still held in memory; before any other read or change of the index.
    private func settle() async throws {
        guard let pending, !pending.isEmpty else { return }
        try await fileWork.run { try pending.flush() }
    }

    /// Writes the rows held in memory now, on the calling thread (the journal's checkpoint).
    func flushPending() throws {
        try pending?.flush()
    }

    /// The folder of the SQLite file whose rows the journal's checkpoint and recovery must make durable along with
    /// the files (their `syncfs` covers the database's disk too); none for PostgreSQL, which commits each row durably.
    var databaseFolders: Set<String> {
        Set(store.direct.map { [URL(fileURLWithPath: $0.path).deletingLastPathComponent().path] } ?? [])
    }

    struct ContentRecord: Sendable {
        let space: String
        let path: String
        let parent: String
        let inode: Int64
        let checksums: Checksums
        var journaled: UploadJournal.Entry? = nil
    }

    /// Storage for the root's parent column: a value no real path can have.
    static let rootParent = "/"

    static func parentKey(of path: SpacePath) -> String {
        path.parent?.description ?? rootParent
    }

    /// The records the index has for the entries of one folder, in one query.
    public func children(space: String, folder: SpacePath) async throws -> [String: FileRecord] {
        try await settle()
        let parent = folder.description
        return try await store.read { db in try await Self.children(space: space, parent: parent, in: db) }
    }

    /// Records for the entries of one folder (`known`: what `children` returned), creating ids for entries seen for
    /// the first time: nothing more when every entry is known, two queries when some are new; never one per file.
    public func records(space: String, folder: SpacePath, entries: [FileEntry], known: [String: FileRecord])
        async throws -> [String: FileRecord]
    {
        let missing = entries.filter { known[$0.name] == nil }
        guard !missing.isEmpty else { return known }
        let parent = folder.description
        try await createRecords(
            space: space,
            missing.map { NewRecord(path: folder.appending($0.name).description, parent: parent, inode: $0.inode) })
        return try await children(space: space, folder: folder)
    }

    /// The record of one path, created when it has none yet.
    public func record(space: String, path: SpacePath, entry: FileEntry) async throws -> FileRecord {
        let key = path.description
        try await settle()
        if let found = try await store.read({ db in try await Self.select(space: space, path: key, in: db) }) {
            return found
        }
        try await createRecords(
            space: space, [NewRecord(path: key, parent: Self.parentKey(of: path), inode: entry.inode)])
        guard let found = try await store.read({ db in try await Self.select(space: space, path: key, in: db) }) else {
            throw StoreError(code: .notFound, message: "the file record for \(key) vanished")
        }
        return found
    }

    /// A path seen for the first time, by a listing or a lookup.
    private struct NewRecord: Sendable {
        let path: String
        let parent: String
        let inode: UInt64
    }

    /// Gives ids to paths that have none (a path that has one keeps it). On SQLite this goes through the direct
    /// connection after the rows held in memory, so an upload's id and a listing's are never two ids for one file.
    private func createRecords(space: String, _ records: [NewRecord]) async throws {
        if let pending {
            try await fileWork.run {
                try pending.afterFlush { connection in
                    for record in records {
                        try connection.run(
                            Self.insertNew,
                            [
                                .text(space), .text(record.path), .text(record.parent),
                                .integer(Int64(bitPattern: record.inode)),
                            ])
                    }
                }
            }
            return
        }
        try await store.transaction { db in
            for batch in stride(from: 0, to: records.count, by: 200) {
                let insert = db.insert(into: "storage_files").columns("space", "path", "parent", "inode")
                for record in records[batch..<min(batch + 200, records.count)] {
                    _ = insert.values([
                        SQLBind(space), SQLBind(record.path), SQLBind(record.parent),
                        SQLBind(Int64(bitPattern: record.inode)),
                    ])
                }
                try await insert.ignoringConflicts().run()
            }
        }
    }

    /// Records new content at `path`: keeps the id of what was there, stores the checksums. A journaled upload's
    /// record goes into the journal in the same group, and this returns once the disk has it.
    public func recordContent(space: String, path: SpacePath, entry: FileEntry, checksums: Checksums) async throws
        -> Int64
    {
        try await recordContent(space: space, path: path, entry: entry, checksums: checksums, journaled: nil)
    }

    func recordContent(
        space: String, path: SpacePath, entry: FileEntry, checksums: Checksums, journaled: UploadJournal.Entry?
    ) async throws -> Int64 {
        try await contentWrites.submit(
            ContentRecord(
                space: space, path: path.description, parent: Self.parentKey(of: path),
                inode: Int64(bitPattern: entry.inode), checksums: checksums, journaled: journaled))
    }

    /// After a crash: records the content of a journaled upload that the disk has (again), under the id its upload
    /// was answered with when the journal kept it.
    func restoreContent(space: String, path: SpacePath, entry: FileEntry, checksums: Checksums, id: Int64)
        async throws
    {
        let record = ContentRecord(
            space: space, path: path.description, parent: Self.parentKey(of: path),
            inode: Int64(bitPattern: entry.inode), checksums: checksums)
        guard let pending, id > 0 else {
            _ = try await recordContent(space: space, path: path, entry: entry, checksums: checksums)
            return
        }
        _ = try await fileWork.run { try pending.add([record], ids: [id]) }
    }

    static let insertNew =
        "INSERT INTO storage_files (space, path, parent, inode) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"

    /// A group of content records on the store's direct connection, inside the caller's transaction: the same
    /// prepared upsert for each, in place on the calling thread.
    static func writeContent(_ records: [ContentRecord], on connection: DirectSQLiteConnection) throws -> [Int64] {
        try records.map { record in
            let sums = record.checksums
            var id: Int64?
            try connection.run(
                contentUpsert,
                [
                    .text(record.space), .text(record.path), .text(record.parent), .integer(record.inode),
                    .text(sums.sha1), .text(sums.md5), .text(sums.adler32), .integer(sums.modified),
                    .integer(sums.size),
                ]
            ) { row in id = row.integer(0) }
            guard let id else { throw StoreError(code: .notFound, message: "no id came back for \(record.path)") }
            return id
        }
    }

    static let contentColumns = "space, path, parent, inode, sha1, md5, adler32, sum_modified, sum_size"
    static let contentConflict = """
         ON CONFLICT (space, path) DO UPDATE SET inode = excluded.inode, sha1 = excluded.sha1,
          md5 = excluded.md5, adler32 = excluded.adler32, sum_modified = excluded.sum_modified,
          sum_size = excluded.sum_size
        """
    static let contentUpsert =
        "INSERT INTO storage_files (\(contentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)\(contentConflict) RETURNING id"

    /// One upsert for a group of content records; a path listed twice keeps its last record. Returns each record's
    /// id, in order.
    static func writeContent(_ records: [ContentRecord], to store: SQLStore) async throws -> [Int64] {
        var latest: [String: Int] = [:]
        for (position, record) in records.enumerated() { latest[record.space + "\u{0}" + record.path] = position }
        let unique = records.indices.filter { latest[records[$0].space + "\u{0}" + records[$0].path] == $0 }
            .map { records[$0] }
        var query = SQLQueryString("INSERT INTO storage_files (\(contentColumns)) VALUES")
        for (position, record) in unique.enumerated() {
            let sums = record.checksums
            query.appendLiteral(position == 0 ? " (" : ", (")
            query.appendInterpolation(
                binds: [
                    record.space, record.path, record.parent, record.inode, sums.sha1, sums.md5, sums.adler32,
                    sums.modified, sums.size,
                ])
            query.appendLiteral(")")
        }
        query.appendLiteral(contentConflict + " RETURNING id, space, path")
        let statement = query
        let rows = try await store.autocommit { db in try await db.raw(statement).all() }
        var ids: [String: Int64] = [:]
        for row in rows {
            let key =
                try row.decode(column: "space", as: String.self) + "\u{0}" + row.decode(column: "path", as: String.self)
            ids[key] = try row.decode(column: "id", as: Int64.self)
        }
        return try records.map { record in
            guard let id = ids[record.space + "\u{0}" + record.path] else {
                throw StoreError(code: .notFound, message: "no id came back for \(record.path)")
            }
            return id
        }
    }

    /// Adds an MD5 worked out after the upload, if the record still describes that content.
    public func addMD5(space: String, path: SpacePath, md5: String, for entry: FileEntry) async throws {
        try await settle()
        let key = path.description
        try await store.autocommit { db in
            try await db.raw(
                """
                UPDATE storage_files SET md5 = \(bind: md5) WHERE space = \(bind: space) AND path = \(bind: key)
                  AND sum_modified = \(bind: entry.modified) AND sum_size = \(bind: entry.size) AND md5 IS NULL
                """
            ).run()
        }
    }

    /// Files whose MD5 was left for later and is still missing (the server stopped before it got to them).
    public func missingMD5(limit: Int) async throws -> [(space: String, path: String, size: Int64, modified: Int64)] {
        try await settle()
        let rows = try await store.read { db in
            try await db.raw(
                """
                SELECT space, path, sum_size, sum_modified FROM storage_files
                WHERE md5 IS NULL AND sha1 IS NOT NULL AND sum_size IS NOT NULL AND sum_modified IS NOT NULL
                LIMIT \(bind: limit)
                """
            ).all()
        }
        return try rows.map { row in
            (
                try row.decode(column: "space", as: String.self), try row.decode(column: "path", as: String.self),
                try row.decode(column: "sum_size", as: Int64.self),
                try row.decode(column: "sum_modified", as: Int64.self)
            )
        }
    }

    /// The path that has this id now (file ids survive renames).
    public func path(space: String, id: Int64) async throws -> SpacePath? {
        try await settle()
        let text = try await store.read { db in
            try await db.raw("SELECT path FROM storage_files WHERE space = \(bind: space) AND id = \(bind: id)")
                .first(decodingColumn: "path", as: String.self)
        }
        return try text.map { try SpacePath(plain: $0) }
    }

    /// Follows a move on disk: what was at `destination` is gone, what was at `source` keeps its ids there.
    public func moved(space: String, from source: SpacePath, to destination: SpacePath) async throws {
        try await settle()
        let from = source.description
        let to = destination.description
        try await store.transaction { db in
            try await Self.deleteTree(space: space, path: to, in: db)
            for table in ["storage_files", "storage_properties"] {
                try await db.raw(
                    """
                    UPDATE \(unsafeRaw: table) SET path = \(bind: to) || substr(path, length(\(bind: from)) + 1)
                    WHERE space = \(bind: space) AND (path = \(bind: from)
                      OR substr(path, 1, length(\(bind: from)) + 1) = \(bind: from + "/"))
                    """
                ).run()
            }
            try await db.raw(
                """
                UPDATE storage_files SET parent = \(bind: to) || substr(parent, length(\(bind: from)) + 1)
                WHERE space = \(bind: space) AND (parent = \(bind: from)
                  OR substr(parent, 1, length(\(bind: from)) + 1) = \(bind: from + "/"))
                """
            ).run()
            try await db.raw(
                """
                UPDATE storage_files SET parent = \(bind: Self.parentKey(of: destination))
                WHERE space = \(bind: space) AND path = \(bind: to)
                """
            ).run()
        }
    }

    /// Follows a delete on disk.
    public func removed(space: String, path: SpacePath) async throws {
        try await settle()
        try await store.transaction { db in try await Self.deleteTree(space: space, path: path.description, in: db) }
    }

    /// Follows a copy on disk: the copy gets new ids (it is a new file) but the source's dead properties.
    public func copied(space: String, from source: SpacePath, to destination: SpacePath) async throws {
        try await settle()
        let from = source.description
        let to = destination.description
        try await store.transaction { db in
            try await Self.deleteTree(space: space, path: to, in: db)
            try await db.raw(
                """
                INSERT INTO storage_properties (space, path, namespace, name, value)
                SELECT space, \(bind: to) || substr(path, length(\(bind: from)) + 1), namespace, name, value
                FROM storage_properties WHERE space = \(bind: space) AND (path = \(bind: from)
                  OR substr(path, 1, length(\(bind: from)) + 1) = \(bind: from + "/"))
                """
            ).run()
        }
    }

    static func deleteTree(space: String, path: String, in db: any SQLDatabase) async throws {
        for table in ["storage_files", "storage_properties"] {
            if path.isEmpty {
                try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE space = \(bind: space) AND path <> ''").run()
                continue
            }
            try await db.raw(
                """
                DELETE FROM \(unsafeRaw: table) WHERE space = \(bind: space) AND (path = \(bind: path)
                  OR substr(path, 1, length(\(bind: path)) + 1) = \(bind: path + "/"))
                """
            ).run()
        }
    }

    static let columns = "id, path, inode, sha1, md5, adler32, sum_modified, sum_size"

    /// A folder's records in one query that returns one row: each record packed as text, all of them joined in the
    /// database. Decoding a row per file through the driver was most of the time of a 10,000-file listing.
    /// A record is `id inode sum_modified sum_size sha1 md5 adler32 <path bytes> path`; the byte count of the path
    /// says where it ends, so any name is safe.
    static func children(space: String, parent: String, in db: any SQLDatabase) async throws -> [String: FileRecord] {
        // One format() per row (same in SQLite ≥ 3.44 and PostgreSQL; NULL becomes an empty field) costs half of
        // the same record built with `||`.
        let packed = try await db.raw(
            """
            SELECT string_agg(format('%s %s %s %s %s %s %s %s %s', id, inode, sum_modified, sum_size, sha1, md5,
              adler32, octet_length(path), path), '') AS packed
            FROM storage_files WHERE space = \(bind: space) AND parent = \(bind: parent)
            """
        ).first(decodingColumn: "packed", as: String?.self)
        guard var packed = packed ?? nil else { return [:] }
        let prefixLength = parent.isEmpty ? 0 : parent.utf8.count + 1
        guard let records = packed.withUTF8({ PackedRecords.parse($0, dropping: prefixLength) }) else {
            throw StoreError(code: .notFound, message: "the file records of \(parent) could not be read")
        }
        return records
    }

    static func select(space: String, path: String, in db: any SQLDatabase) async throws -> FileRecord? {
        try await db.raw(
            "SELECT \(unsafeRaw: columns) FROM storage_files WHERE space = \(bind: space) AND path = \(bind: path)"
        ).first().map(record(from:))
    }

    static func record(from row: any SQLRow) throws -> FileRecord {
        let sha1 = try row.decode(column: "sha1", as: String?.self)
        let md5 = try row.decode(column: "md5", as: String?.self)
        let adler = try row.decode(column: "adler32", as: String?.self)
        var checksums: Checksums?
        if sha1 != nil || md5 != nil || adler != nil {
            checksums = Checksums(
                sha1: sha1, md5: md5, adler32: adler, modified: try row.decode(column: "sum_modified", as: Int64.self),
                size: try row.decode(column: "sum_size", as: Int64.self))
        }
        return FileRecord(
            id: try row.decode(column: "id", as: Int64.self),
            inode: UInt64(bitPattern: try row.decode(column: "inode", as: Int64.self)), checksums: checksums)
    }
}
