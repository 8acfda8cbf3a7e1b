import CZlib
import Crypto
import NIOCore
import NIOPosix

/// A request body on its way into the staging folder. Bytes are kept in memory until there is a megabyte to write,
/// and the staged file is only created then: a small upload reaches the file threads once, when `finish` creates,
/// writes, hashes and (through the caller) commits it in one go. Used by one task at a time.
final class IncomingUpload: @unchecked Sendable {
    let space: SpaceFileSystem
    let hasher: UploadHasher
    private(set) var file: UploadFile?
    private var tail: [ByteBuffer] = []
    private var tailBytes = 0
    /// Bytes received so far, written or not.
    private(set) var size: Int64 = 0

    static let batchBytes = 1 << 20

    init(space: SpaceFileSystem, extra: ChecksumAlgorithm?) {
        self.space = space
        self.hasher = UploadHasher(extra: extra)
    }

    /// Takes one network read; writes a batch on `pool` once a megabyte has gathered.
    func append(_ chunk: ByteBuffer, pool: NIOThreadPool) async throws {
        tail.append(chunk)
        tailBytes += chunk.readableBytes
        size += Int64(chunk.readableBytes)
        guard tailBytes >= Self.batchBytes else { return }
        let batch = tail
        tail.removeAll(keepingCapacity: true)
        tailBytes = 0
        let file: UploadFile
        if let existing = self.file {
            file = existing
        } else {
            let space = space
            file = try await pool.runIfActive { try space.beginUpload() }
            self.file = file
        }
        try await hasher.write(batch, to: file, pool: pool)
    }

    /// Writes what is still in memory (creating the staged file if nothing was written yet) and returns the file;
    /// call it on a file thread.
    func finish() throws(StorageError) -> UploadFile {
        let file: UploadFile
        if let existing = self.file {
            file = existing
        } else {
            file = try space.beginUpload()
            self.file = file
        }
        try hasher.write(tail, to: file)
        tail = []
        tailBytes = 0
        return file
    }

    /// Removes the staged file, if one was made (after a failed or refused upload).
    func discard() {
        file?.discard()
    }
}

/// Hashes an upload as it is written: SHA-1 and MD5 always, as ownCloud does (the Nextcloud client checks SHA-1,
/// rclone's owncloud mode MD5), and Adler-32 when the client sent one. Each digest is its own box so the three can
/// run on different threads while the bytes are written on a third; each box is used by one task at a time.
final class UploadHasher: @unchecked Sendable {
    final class Box<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let sha1 = Box(Insecure.SHA1())
    private let md5 = Box(Insecure.MD5())
    private let adler: Box<UInt>?
    private(set) var size: Int64 = 0

    init(extra: ChecksumAlgorithm?) {
        adler = extra == .adler32 ? Box(adler32(0, nil, 0)) : nil
    }

    /// Writes and hashes one batch, in parallel on `pool`'s threads.
    func write(_ buffers: [ByteBuffer], to upload: UploadFile, pool: NIOThreadPool) async throws {
        let (sha1, md5, adler) = (sha1, md5, adler)
        async let written: Void = pool.runIfActive {
            for buffer in buffers { try buffer.withUnsafeReadableBytes { try upload.write($0) } }
        }
        async let sha1Done: Void = pool.runIfActive {
            for buffer in buffers { buffer.withUnsafeReadableBytes { sha1.value.update(bufferPointer: $0) } }
        }
        async let md5Done: Void = pool.runIfActive {
            for buffer in buffers { buffer.withUnsafeReadableBytes { md5.value.update(bufferPointer: $0) } }
            if let adler {
                for buffer in buffers {
                    buffer.withUnsafeReadableBytes { bytes in
                        guard let base = bytes.baseAddress else { return }
                        adler.value = adler32(
                            adler.value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                    }
                }
            }
        }
        try await written
        try await sha1Done
        try await md5Done
        size += Int64(buffers.reduce(0) { $0 + $1.readableBytes })
    }

    /// The same, on the calling thread (chunk assembly, copies: already off the event loop).
    func write(_ buffers: [ByteBuffer], to upload: UploadFile) throws(StorageError) {
        for buffer in buffers {
            try buffer.withUnsafeReadableBytes { bytes throws(StorageError) in
                try upload.write(bytes)
                sha1.value.update(bufferPointer: bytes)
                md5.value.update(bufferPointer: bytes)
                if let adler, let base = bytes.baseAddress {
                    adler.value = adler32(adler.value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                }
            }
            size += Int64(buffer.readableBytes)
        }
    }

    func checksums() -> Checksums {
        let adlerHex = adler.map { String($0.value, radix: 16) }
        return Checksums(
            sha1: Self.hex(sha1.value.finalize()), md5: Self.hex(md5.value.finalize()),
            adler32: adlerHex.map { String(repeating: "0", count: max(0, 8 - $0.count)) + $0 }, modified: 0, size: size)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
