import CZlib
import Glibc
import NIOCore

/// The upload journal's bytes, little-endian. A segment starts with a header block (magic, generation, CRC); records
/// follow, each `magic, length, generation, CRC-32 of the payload` and the payload (names, times, checksums,
/// content). Emptying a segment only raises the generation in its header: records of an older generation, and
/// anything after the first record that does not check out (a group whose write a power cut tore, never answered),
/// are not read.
enum JournalFormat {
    static let recordHeaderBytes = 20
    /// Magic, generation and the CRC of both, at the start of the header block.
    private static let headerFieldBytes = 20

    static func readHeader(_ fd: Int32) -> UInt64? {
        var header = read(fd, at: 0, count: headerFieldBytes)
        guard let fields = header.getSlice(at: header.readerIndex, length: 16),
            header.readBytes(length: UploadJournal.magic.count) == UploadJournal.magic,
            let generation = header.readInteger(endianness: .little, as: UInt64.self),
            header.readInteger(endianness: .little, as: UInt32.self) == checksum(fields)
        else { return nil }
        return generation
    }

    static func writeHeader(_ fd: Int32, generation: UInt64) throws(StorageError) {
        var header = ByteBuffer(bytes: UploadJournal.magic)
        header.writeInteger(generation, endianness: .little)
        header.writeInteger(checksum(header), endianness: .little)
        header.writeRepeatingByte(0, count: UploadJournal.headerBytes - header.readableBytes)
        try writeAll(fd, header, at: 0)
        guard fdatasync(fd) == 0 else { throw failure("Saving the upload journal") }
    }

    /// The most a record of this content and these names can take (checksums at their longest).
    static func largestEncodedSize(contentBytes: Int, owner: String, path: String) -> Int {
        recordHeaderBytes + 2 + owner.utf8.count + 2 + path.utf8.count + 4 * 8 + 3 * (2 + 64) + contentBytes + 8
    }

    static func append(_ record: UploadJournal.Record, generation: UInt64, to buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(UploadJournal.recordMagic, endianness: .little)
        buffer.writeInteger(UInt32(0), endianness: .little)  // the length, set below
        buffer.writeInteger(generation, endianness: .little)
        buffer.writeInteger(UInt32(0), endianness: .little)  // the payload's CRC, set below
        let payloadStart = buffer.writerIndex
        write(record.owner, to: &buffer)
        write(record.path, to: &buffer)
        buffer.writeInteger(UInt64(bitPattern: record.changed), endianness: .little)
        buffer.writeInteger(record.inode, endianness: .little)
        buffer.writeInteger(UInt64(bitPattern: record.checksums.modified), endianness: .little)
        buffer.writeInteger(UInt64(bitPattern: record.checksums.size), endianness: .little)
        for sum in [record.checksums.sha1, record.checksums.md5, record.checksums.adler32] {
            if let sum { write(sum, to: &buffer) } else { buffer.writeInteger(UInt16.max, endianness: .little) }
        }
        buffer.writeBytes(record.content)
        // After the content, so records written before file ids were journaled (which end there) still read.
        buffer.writeInteger(record.id, endianness: .little)
        let payload = buffer.getSlice(at: payloadStart, length: buffer.writerIndex - payloadStart)!
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: start + 4, endianness: .little)
        buffer.setInteger(checksum(payload), at: start + 16, endianness: .little)
    }

    /// The valid records of `generation` in a segment, in order.
    static func readRecords(_ fd: Int32, generation: UInt64) -> [UploadJournal.Record] {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > UploadJournal.headerBytes else { return [] }
        var bytes = read(fd, at: UploadJournal.headerBytes, count: Int(info.st_size) - UploadJournal.headerBytes)
        var records: [UploadJournal.Record] = []
        while bytes.readInteger(endianness: .little, as: UInt32.self) == UploadJournal.recordMagic,
            let length = bytes.readInteger(endianness: .little, as: UInt32.self),
            bytes.readInteger(endianness: .little, as: UInt64.self) == generation,
            let crc = bytes.readInteger(endianness: .little, as: UInt32.self),
            Int(length) >= recordHeaderBytes, let payload = bytes.readSlice(length: Int(length) - recordHeaderBytes),
            checksum(payload) == crc, let record = decode(payload)
        {
            records.append(record)
        }
        return records
    }

    private static func decode(_ payload: ByteBuffer) -> UploadJournal.Record? {
        var payload = payload
        guard let owner = readString(&payload), let path = readString(&payload),
            let changed = payload.readInteger(endianness: .little, as: UInt64.self),
            let inode = payload.readInteger(endianness: .little, as: UInt64.self),
            let modified = payload.readInteger(endianness: .little, as: UInt64.self),
            let size = payload.readInteger(endianness: .little, as: UInt64.self).flatMap({ Int(exactly: $0) }),
            let sha1 = readOptionalString(&payload), let md5 = readOptionalString(&payload),
            let adler32 = readOptionalString(&payload), let content = payload.readBytes(length: size)
        else { return nil }
        let id = payload.readableBytes == 0 ? 0 : payload.readInteger(endianness: .little, as: Int64.self)
        guard let id, payload.readableBytes == 0 else { return nil }
        return UploadJournal.Record(
            owner: owner, path: path, changed: Int64(bitPattern: changed), inode: inode, id: id,
            checksums: Checksums(
                sha1: sha1, md5: md5, adler32: adler32, modified: Int64(bitPattern: modified), size: Int64(size)),
            content: content)
    }

    /// Up to `count` bytes of `fd` from `offset` (fewer at its end or on an error: what follows is not read).
    private static func read(_ fd: Int32, at offset: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            max(0, pread(fd, raw.baseAddress, count, off_t(offset)))
        }
        return buffer
    }

    static func writeAll(_ fd: Int32, _ bytes: ByteBuffer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.readableBytes {
            let written = bytes.withUnsafeReadableBytes { raw in
                pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw failure("Writing the upload journal") }
            done += written
        }
    }

    /// `<what> failed: <the system's reason>`, for the journal's own files and syncs.
    static func failure(_ what: String) -> StorageError {
        StorageError(.internalError, "\(what) failed: \(String(cString: strerror(errno)))")
    }

    private static func checksum(_ bytes: ByteBuffer) -> UInt32 {
        bytes.withUnsafeReadableBytes { raw in
            UInt32(
                truncatingIfNeeded: crc32(0, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(raw.count)))
        }
    }

    /// A length (16 bits) and the UTF-8 bytes.
    private static func write(_ text: String, to buffer: inout ByteBuffer) {
        let utf8 = text.utf8.prefix(Int(UInt16.max) - 1)
        buffer.writeInteger(UInt16(utf8.count), endianness: .little)
        buffer.writeBytes(utf8)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let count = buffer.readInteger(endianness: .little, as: UInt16.self) else { return nil }
        return try? buffer.readUTF8ValidatedString(length: Int(count))
    }

    /// A string, or nil written as the length 0xFFFF; the outer nil when the bytes do not make either.
    private static func readOptionalString(_ buffer: inout ByteBuffer) -> String?? {
        guard let count = buffer.readInteger(endianness: .little, as: UInt16.self) else { return nil }
        if count == UInt16.max { return .some(nil) }
        guard let text = try? buffer.readUTF8ValidatedString(length: Int(count)) else { return nil }
        return .some(text)
    }
}
