import Foundation

/// The publisher's memory of what it hashed last time, keyed by path and checked against `stat`: a file whose
/// size, mtime, ctime, inode and device are unchanged is not read again. Lives beside the keys, not in the
/// repository; losing it only costs a full re-hash.
final class PublishCache {
    struct Record: Equatable {
        var stamp: FileStatus.ChangeStamp
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
            let stamp = FileStatus.ChangeStamp(
                size: select.integer(1), mtimeNanoseconds: select.integer(2), ctimeNanoseconds: select.integer(3),
                inode: select.integer(4), device: select.integer(5))
            records[select.bytes(0)] = Record(stamp: stamp, stored: stored)
        }
    }

    /// What was stored for `path`, if the file looks untouched since.
    func lookup(path: [UInt8], status: FileStatus, algorithm: HashAlgorithm) -> StoredFile? {
        guard let record = records[path], record.stamp == status.changeStamp, record.stored.algorithm == algorithm
        else { return nil }
        return record.stored
    }

    /// Replaces every record with this publish's in one transaction.
    func replaceAll(_ newRecords: [[UInt8]: Record]) throws {
        try database.execute("BEGIN; DELETE FROM files;")
        let insert = try database.prepare(
            "INSERT INTO files (path, size, mtime_ns, ctime_ns, inode, device, algorithm, hash, chunks) "
                + "VALUES (?,?,?,?,?,?,?,?,?)")
        for (path, record) in newRecords {
            let stamp = record.stamp
            try insert.run([
                .blob(path), .integer(stamp.size), .integer(stamp.mtimeNanoseconds), .integer(stamp.ctimeNanoseconds),
                .integer(stamp.inode), .integer(stamp.device), .int((record.stored.algorithm ?? .sha1).rawValue),
                record.stored.hash.map { .blob($0.digest) } ?? .null,
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
