import Foundation

/// Reads one catalog database file. Each reader owns its connection and statements; the caller serialises use
/// (the mount keeps one lock per catalog).
final class CatalogReader {
    let path: String
    private let database: SQLiteDatabase
    private let selectEntry: SQLiteStatement
    private let selectChildren: SQLiteStatement
    private let selectChunks: SQLiteStatement
    private static let columns = "name, mode, size, mtime, flags, hash, symlink, uid, gid, hardlinks, xattr"

    init(path: String) throws {
        self.path = path
        database = try SQLiteDatabase(path: path, readOnly: true)
        do {
            selectEntry = try database.prepare(
                "SELECT \(Self.columns) FROM catalog WHERE md5path_1 = ? AND md5path_2 = ?")
            selectChildren = try database.prepare(
                "SELECT \(Self.columns) FROM catalog WHERE parent_1 = ? AND parent_2 = ?")
            selectChunks = try database.prepare(
                "SELECT offset, size, hash FROM chunks WHERE md5path_1 = ? AND md5path_2 = ? ORDER BY offset")
        } catch {
            throw SoftwareError(.corrupt, "\(path) is not a catalog (schema 2.5)", underlying: error)
        }
        let schema = try properties()["schema"] ?? ""
        guard let version = Double(schema), version >= 2.5, version < 3 else {
            throw SoftwareError(.unsupported, "the catalog has schema '\(schema)'; only 2.5 is read")
        }
    }

    func entry(path: [UInt8]) throws -> CatalogEntry? {
        let key = PathKey(path: path)
        try selectEntry.bind([.integer(key.high), .integer(key.low)])
        guard try selectEntry.step() else { return nil }
        return try row(selectEntry)
    }

    /// Rows whose parent is `path`, except the nested catalog root that shares its key with `path`.
    func children(of path: [UInt8]) throws -> [CatalogEntry] {
        let key = PathKey(path: path)
        try selectChildren.bind([.integer(key.high), .integer(key.low)])
        var entries: [CatalogEntry] = []
        while try selectChildren.step() {
            let entry = try row(selectChildren)
            if !entry.flags.contains(.nestedRoot) { entries.append(entry) }
        }
        return entries
    }

    func chunks(path: [UInt8], algorithm: HashAlgorithm) throws -> [FileChunk] {
        let key = PathKey(path: path)
        try selectChunks.bind([.integer(key.high), .integer(key.low)])
        var chunks: [FileChunk] = []
        while try selectChunks.step() {
            let digest = selectChunks.bytes(2)
            guard digest.count == HashAlgorithm.digestLength else {
                throw SoftwareError(.corrupt, "\(path): a chunk row has a hash of \(digest.count) bytes")
            }
            chunks.append(
                FileChunk(
                    offset: selectChunks.integer(0), size: selectChunks.integer(1),
                    hash: ContentHash(algorithm: algorithm, digest: digest)))
        }
        return chunks
    }

    func nestedCatalogs() throws -> [NestedCatalogReference] {
        let statement = try database.prepare("SELECT path, sha1, size FROM nested_catalogs")
        try statement.bind([])
        var references: [NestedCatalogReference] = []
        while try statement.step() {
            let text = statement.text(1)
            guard let hash = ContentHash(text) else {
                throw SoftwareError(.corrupt, "\(path): the nested catalog hash '\(text)' is not a content hash")
            }
            references.append(NestedCatalogReference(path: statement.bytes(0), hash: hash, size: statement.integer(2)))
        }
        return references
    }

    func properties() throws -> [String: String] {
        let statement = try database.prepare("SELECT key, value FROM properties")
        try statement.bind([])
        var properties: [String: String] = [:]
        while try statement.step() { properties[statement.text(0)] = statement.text(1) }
        return properties
    }

    /// Every object hash this catalog references (file objects and chunks), for garbage collection.
    func referencedObjects() throws -> [ContentHash] {
        var hashes: [ContentHash] = []
        let statement = try database.prepare("SELECT c.hash, c.flags FROM catalog c WHERE c.hash IS NOT NULL")
        try statement.bind([])
        while try statement.step() {
            let digest = statement.bytes(0)
            guard digest.count == HashAlgorithm.digestLength else { continue }
            hashes.append(
                ContentHash(algorithm: CatalogFlags(rawValue: statement.integer(1)).algorithm, digest: digest))
        }
        let chunks = try database.prepare(
            "SELECT ch.hash, c.flags FROM chunks ch JOIN catalog c USING (md5path_1, md5path_2)")
        try chunks.bind([])
        while try chunks.step() {
            let digest = chunks.bytes(0)
            guard digest.count == HashAlgorithm.digestLength else { continue }
            hashes.append(ContentHash(algorithm: CatalogFlags(rawValue: chunks.integer(1)).algorithm, digest: digest))
        }
        return hashes
    }

    private func row(_ statement: SQLiteStatement) throws -> CatalogEntry {
        let flags = CatalogFlags(rawValue: statement.integer(4))
        let digest = statement.bytes(5)
        let xattr = statement.isNull(10) ? nil : try ExtendedAttributes(blob: statement.bytes(10))
        return CatalogEntry(
            name: statement.bytes(0), mode: UInt32(truncatingIfNeeded: statement.integer(1)),
            size: statement.integer(2), mtime: statement.integer(3), flags: flags,
            hash: digest.count == HashAlgorithm.digestLength
                ? ContentHash(algorithm: flags.algorithm, digest: digest) : nil,
            symlink: statement.bytes(6), uid: UInt32(truncatingIfNeeded: statement.integer(7)),
            gid: UInt32(truncatingIfNeeded: statement.integer(8)),
            linkCount: UInt32(truncatingIfNeeded: statement.integer(9) & 0xffff_ffff), extendedAttributes: xattr)
    }
}
