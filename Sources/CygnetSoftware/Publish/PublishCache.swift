import Foundation

/// The publisher's memory of what it hashed last time, keyed by path and checked against `stat`: a file whose
/// size, mtime, ctime, inode and device are unchanged is not read again. Lives beside the keys, not in the
/// repository; losing it only costs a full re-hash.
final class PublishCache {
    struct Record: Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var ctimeNanoseconds: Int64
        var inode: Int64
        var device: Int64
        var stored: StoredFile
    }

    private let database: SQLiteDatabase
    private(set) var records: [[UInt8]: Record] = [:]

    init(path: String) throws {
        database = try SQLiteDatabase(path: path, readOnly: false)
        try database.execute(
            """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS files (path BLOB PRIMARY KEY, size INTEGER, mtime_ns INTEGER,
              ctime_ns INTEGER, inode INTEGER, device INTEGER, algorithm INTEGER, hash BLOB, chunks BLOB);
            """)
        let select = try database.prepare(
            "SELECT path, size, mtime_ns, ctime_ns, inode, device, algorithm, hash, chunks FROM files")
        try select.bind([])
        while try select.step() {
            guard let algorithm = HashAlgorithm(rawValue: Int(select.integer(6))),
                let stored = Self.decode(algorithm: algorithm, hash: select.bytes(7), chunks: select.bytes(8))
            else { continue }
            records[select.bytes(0)] = Record(
                size: select.integer(1), mtimeNanoseconds: select.integer(2), ctimeNanoseconds: select.integer(3),
                inode: select.integer(4), device: select.integer(5), stored: stored)
        }
    }

    static func record(for status: FileStatus, stored: StoredFile) -> Record {
        Record(
            size: status.size, mtimeNanoseconds: status.mtimeNanoseconds, ctimeNanoseconds: status.ctimeNanoseconds,
            inode: Int64(bitPattern: status.inode), device: Int64(bitPattern: status.device), stored: stored)
    }

    /// What was stored for `path`, if the file looks untouched since.
    func lookup(path: [UInt8], status: FileStatus, algorithm: HashAlgorithm) -> StoredFile? {
        guard let record = records[path] else { return nil }
        let current = Self.record(for: status, stored: record.stored)
        guard current == record else { return nil }
        let storedAlgorithm = record.stored.hash?.algorithm ?? record.stored.chunks.first?.hash.algorithm
        return storedAlgorithm == algorithm ? record.stored : nil
    }

    /// Replaces every record with this publish's in one transaction.
    func replaceAll(_ newRecords: [[UInt8]: Record]) throws {
        try database.execute("BEGIN; DELETE FROM files;")
        let insert = try database.prepare(
            "INSERT INTO files (path, size, mtime_ns, ctime_ns, inode, device, algorithm, hash, chunks) "
                + "VALUES (?,?,?,?,?,?,?,?,?)")
        for (path, record) in newRecords {
            let algorithm = record.stored.hash?.algorithm ?? record.stored.chunks.first?.hash.algorithm ?? .sha1
            try insert.run([
                .blob(path), .integer(record.size), .integer(record.mtimeNanoseconds),
                .integer(record.ctimeNanoseconds), .integer(record.inode), .integer(record.device),
                .int(algorithm.rawValue), record.stored.hash.map { .blob($0.digest) } ?? .null,
                .blob(Self.encode(record.stored.chunks)),
            ])
        }
        try database.execute("COMMIT")
        records = newRecords
    }

    private static let chunkRecordSize = 16 + HashAlgorithm.digestLength

    private static func encode(_ chunks: [FileChunk]) -> [UInt8] {
        var bytes: [UInt8] = []
        for chunk in chunks {
            withUnsafeBytes(of: chunk.offset.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: chunk.size.littleEndian) { bytes += $0 }
            bytes += chunk.hash.digest
        }
        return bytes
    }

    private static func decode(algorithm: HashAlgorithm, hash: [UInt8], chunks: [UInt8]) -> StoredFile? {
        if hash.count == HashAlgorithm.digestLength {
            return StoredFile(hash: ContentHash(algorithm: algorithm, digest: hash), chunks: [], compressed: true)
        }
        guard !chunks.isEmpty, chunks.count % chunkRecordSize == 0 else { return nil }
        var decoded: [FileChunk] = []
        for start in stride(from: 0, to: chunks.count, by: chunkRecordSize) {
            let record = Array(chunks[start..<start + chunkRecordSize])
            let offset = record[0..<8].withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            let size = record[8..<16].withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
            decoded.append(
                FileChunk(
                    offset: offset, size: size, hash: ContentHash(algorithm: algorithm, digest: Array(record[16...]))))
        }
        return StoredFile(hash: nil, chunks: decoded, compressed: true)
    }
}
