import CZlib
import Glibc

/// The upload journal's bytes. A segment starts with a header block (magic, generation, CRC); records follow, each
/// `magic, length, generation, CRC-32 of the payload` and the payload (names, times, checksums, content). Emptying a
/// segment only raises the generation in its header: records of an older generation, and anything after the first
/// record that does not check out (a group whose write a power cut tore, never answered), are not read.
enum JournalFormat {
    static let recordHeaderBytes = 20

    static func readHeader(_ fd: Int32) -> UInt64? {
        var bytes = [UInt8](repeating: 0, count: 20)
        guard pread(fd, &bytes, 20, 0) == 20, Array(bytes[0..<8]) == UploadJournal.magic else { return nil }
        var reader = Reader(bytes: bytes[...])
        reader.skip(8)
        guard let generation = reader.uint64(), let crc = reader.uint32(),
            crc == checksum(bytes[0..<16])
        else { return nil }
        return generation
    }

    static func writeHeader(_ fd: Int32, generation: UInt64) throws(StorageError) {
        var bytes = UploadJournal.magic
        put(generation, into: &bytes)
        put(checksum(bytes[...]), into: &bytes)
        bytes += [UInt8](repeating: 0, count: UploadJournal.headerBytes - bytes.count)
        try writeAll(fd, bytes, at: 0)
        guard fdatasync(fd) == 0 else {
            throw StorageError(.internalError, "Saving the upload journal failed: \(String(cString: strerror(errno)))")
        }
    }

    /// The most a record of this content and these names can take (checksums at their longest).
    static func largestEncodedSize(contentBytes: Int, owner: String, path: String) -> Int {
        recordHeaderBytes + 2 + owner.utf8.count + 2 + path.utf8.count + 4 * 8 + 3 * (2 + 64) + contentBytes
    }

    static func append(_ record: UploadJournal.Record, generation: UInt64, to bytes: inout [UInt8]) {
        var payload: [UInt8] = []
        payload.reserveCapacity(record.content.count + 256)
        put(record.owner, into: &payload)
        put(record.path, into: &payload)
        put(UInt64(bitPattern: record.changed), into: &payload)
        put(record.inode, into: &payload)
        put(UInt64(bitPattern: record.checksums.modified), into: &payload)
        put(UInt64(bitPattern: record.checksums.size), into: &payload)
        for sum in [record.checksums.sha1, record.checksums.md5, record.checksums.adler32] {
            if let sum { put(sum, into: &payload) } else { put(UInt16.max, into: &payload) }
        }
        payload += record.content
        put(UploadJournal.recordMagic, into: &bytes)
        put(UInt32(recordHeaderBytes + payload.count), into: &bytes)
        put(generation, into: &bytes)
        put(checksum(payload[...]), into: &bytes)
        bytes += payload
    }

    /// The valid records of `generation` in a segment, in order.
    static func readRecords(_ fd: Int32, generation: UInt64) -> [UploadJournal.Record] {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > UploadJournal.headerBytes else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) - UploadJournal.headerBytes)
        let read = bytes.withUnsafeMutableBytes {
            pread(fd, $0.baseAddress, $0.count, off_t(UploadJournal.headerBytes))
        }
        guard read > 0 else { return [] }
        var reader = Reader(bytes: bytes[0..<read])
        var records: [UploadJournal.Record] = []
        while let magic = reader.uint32(), magic == UploadJournal.recordMagic, let length = reader.uint32(),
            let recordGeneration = reader.uint64(), recordGeneration == generation, let crc = reader.uint32(),
            Int(length) >= recordHeaderBytes, let payload = reader.take(Int(length) - recordHeaderBytes),
            checksum(payload) == crc, let record = decode(payload)
        {
            records.append(record)
        }
        return records
    }

    private static func decode(_ payload: ArraySlice<UInt8>) -> UploadJournal.Record? {
        var reader = Reader(bytes: payload)
        guard let owner = reader.string(), let path = reader.string(), let changed = reader.uint64(),
            let inode = reader.uint64(),
            let modified = reader.uint64(), let size = reader.uint64(), let sha1 = reader.optionalString(),
            let md5 = reader.optionalString(), let adler32 = reader.optionalString(),
            let content = reader.take(Int(size)), reader.isAtEnd
        else { return nil }
        return UploadJournal.Record(
            owner: owner, path: path, changed: Int64(bitPattern: changed), inode: inode,
            checksums: Checksums(
                sha1: sha1, md5: md5, adler32: adler32, modified: Int64(bitPattern: modified),
                size: Int64(bitPattern: size)),
            content: Array(content))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw StorageError(
                    .internalError, "Writing the upload journal failed: \(String(cString: strerror(errno)))")
            }
            done += written
        }
    }

    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    private static func put<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func put(_ text: String, into bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max) - 1))
        put(UInt16(utf8.count), into: &bytes)
        bytes += utf8
    }

    /// Reads little-endian fields; nil once the bytes run out.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        var isAtEnd: Bool { bytes.isEmpty }

        mutating func skip(_ count: Int) { bytes = bytes.dropFirst(count) }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, bytes.count >= count else { return nil }
            defer { bytes = bytes.dropFirst(count) }
            return bytes.prefix(count)
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard let raw = take(MemoryLayout<T>.size) else { return nil }
            return raw.reversed().reduce(T(0)) { ($0 << 8) | T($1) }
        }

        mutating func uint32() -> UInt32? { integer(UInt32.self) }
        mutating func uint64() -> UInt64? { integer(UInt64.self) }

        mutating func string() -> String? {
            guard let count = integer(UInt16.self), let raw = take(Int(count)) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }

        mutating func optionalString() -> String?? {
            guard let count = integer(UInt16.self) else { return nil }
            if count == UInt16.max { return .some(nil) }
            guard let raw = take(Int(count)), let text = String(validating: raw, as: UTF8.self) else { return nil }
            return .some(text)
        }
    }
}
