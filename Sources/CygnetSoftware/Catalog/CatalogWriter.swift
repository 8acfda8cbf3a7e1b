import Foundation

/// Writes one catalog database file. Rows go in one transaction with journaling off: the file is a scratch
/// file until it is compressed, hashed and stored as an object.
final class CatalogWriter {
    let path: String
    /// "" for the root catalog, the mountpoint path ("/a/b") for a nested one.
    let rootPrefix: [UInt8]
    private let database: SQLiteDatabase
    private let insertEntry: SQLiteStatement
    private let insertChunk: SQLiteStatement
    private let insertNested: SQLiteStatement
    private(set) var statistics = CatalogStatistics()
    private(set) var subtreeStatistics = CatalogStatistics()

    init(path: String, rootPrefix: [UInt8]) throws {
        unlink(path)
        self.path = path
        self.rootPrefix = rootPrefix
        database = try SQLiteDatabase(path: path, readOnly: false)
        try database.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;")
        try database.execute(CatalogSchema.create)
        try database.execute("BEGIN")
        insertEntry = try database.prepare(
            "INSERT INTO catalog (md5path_1, md5path_2, parent_1, parent_2, hardlinks, hash, size, mode, mtime, "
                + "flags, name, symlink, uid, gid, xattr) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        insertChunk = try database.prepare(
            "INSERT INTO chunks (md5path_1, md5path_2, offset, size, hash) VALUES (?,?,?,?,?)")
        insertNested = try database.prepare("INSERT INTO nested_catalogs (path, sha1, size) VALUES (?,?,?)")
    }

    /// Adds the row for `path`; `parent` is nil only for the root catalog's root entry.
    func add(path: [UInt8], parent: [UInt8]?, entry: CatalogEntry, chunks: [FileChunk] = []) throws {
        let key = PathKey(path: path)
        let parentKey = parent.map { PathKey(path: $0) } ?? .none
        try insertEntry.run([
            .integer(key.high), .integer(key.low), .integer(parentKey.high), .integer(parentKey.low),
            .integer(Int64(entry.linkCount)), entry.hash.map { .blob($0.digest) } ?? .null, .integer(entry.size),
            .int(entry.mode), .integer(entry.mtime), .integer(entry.flags.rawValue), .text(entry.name),
            .text(entry.symlink), .int(entry.uid), .int(entry.gid),
            entry.extendedAttributes.map { .blob($0.blob) } ?? .null,
        ])
        for chunk in chunks {
            try insertChunk.run([
                .integer(key.high), .integer(key.low), .integer(chunk.offset), .integer(chunk.size),
                .blob(chunk.hash.digest),
            ])
        }
        // The mountpoint row of a nested catalog is counted by the nested catalog's own root entry.
        if !entry.flags.contains(.nestedMountpoint) { statistics.count(entry, chunks: chunks.count) }
    }

    /// Lists a finished nested catalog below this one.
    func addNested(_ reference: NestedCatalogReference, statistics nested: CatalogStatistics) throws {
        try insertNested.run([.text(reference.path), .text(reference.hash.description), .integer(reference.size)])
        statistics.values["nested", default: 0] += 1
        subtreeStatistics = subtreeStatistics + nested
    }

    /// Writes properties and statistics and closes the file; returns this catalog's self plus subtree counts.
    func finish(revision: Int, lastModified: Int, previous: ContentHash?, timeToLive: Int?, extra: [String: String])
        throws -> CatalogStatistics
    {
        var properties = [
            "schema": CatalogSchema.version, "schema_revision": CatalogSchema.revision, "revision": "\(revision)",
            "last_modified": "\(lastModified)",
            "previous_revision": previous?.description ?? String(repeating: "0", count: 40),
        ]
        if let timeToLive { properties["TTL"] = "\(timeToLive)" }
        if !rootPrefix.isEmpty { properties["root_prefix"] = String(decoding: rootPrefix, as: UTF8.self) }
        properties.merge(extra) { first, _ in first }
        let insertProperty = try database.prepare("INSERT INTO properties (key, value) VALUES (?, ?)")
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try insertProperty.run([.text(key), .text(value)])
        }
        let insertCounter = try database.prepare("INSERT INTO statistics (counter, value) VALUES (?, ?)")
        for counter in CatalogSchema.counters {
            try insertCounter.run([.text("self_" + counter), .integer(statistics[counter])])
            try insertCounter.run([.text("subtree_" + counter), .integer(subtreeStatistics[counter])])
        }
        try database.execute("COMMIT")
        return statistics + subtreeStatistics
    }
}
