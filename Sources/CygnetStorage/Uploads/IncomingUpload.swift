import CZlib
import Crypto
import CygnetRuntime
import NIOCore
import NIOPosix

/// A request body on its way into the staging folder, written and hashed a batch (4 MiB) at a time. The staged
/// file is only created with the first full batch: a small upload reaches the file threads once, when `finish`
/// creates, writes, hashes and (through the caller) commits it in one go. Used by one task at a time.
final class IncomingUpload: @unchecked Sendable {
    let space: SpaceFileSystem
    let hasher: UploadHasher
    private(set) var file: UploadFile?
    private var tail: [ByteBuffer] = []

    /// A batch; a body bigger than one is a big upload, written directly to the disk with MD5 left for later.
    static let batchBytes = 4 << 20
    let defersMD5: Bool
    /// The folder of `space` the upload will be committed to, already open (not for a chunk of a chunked upload).
    let folder: FileDescriptor?

    init(space: SpaceFileSystem, extra: ChecksumAlgorithm?, defersMD5: Bool, folder: FileDescriptor? = nil) {
        self.space = space
        self.hasher = UploadHasher(extra: extra)
        self.defersMD5 = defersMD5
        self.folder = folder
    }

    private func begin() throws(StorageError) -> UploadFile {
        if let folder { return try space.beginUpload(in: folder) }
        return try space.beginUpload()
    }

    /// Bytes written and hashed so far, and those still in memory.
    var size: Int64 { hasher.size + Int64(tail.reduce(0) { $0 + $1.readableBytes }) }

    /// Writes and hashes one batch on `pool`'s threads.
    func write(_ batch: [ByteBuffer], pool: NIOThreadPool) async throws {
        let file: UploadFile
        if let existing = self.file {
            file = existing
        } else {
            file = try await pool.runIfActive {
                let file = try self.begin()
                file.startDirectWrites()
                return file
            }
            self.file = file
            if defersMD5 { hasher.deferMD5() }
        }
        try await hasher.write(batch, to: file, pool: pool)
    }

    /// Keeps the end of the body for `finish`.
    func keep(_ rest: [ByteBuffer]) {
        tail = rest
    }

    /// Writes what is still in memory (creating the staged file if nothing was written yet) and returns the file;
    /// call it on a file thread.
    func finish() throws(StorageError) -> UploadFile {
        let file: UploadFile
        if let existing = self.file {
            file = existing
        } else {
            file = try begin()
            self.file = file
        }
        try hasher.write(tail, to: file)
        tail = []
        return file
    }

    /// Removes the staged file, if one was made (after a failed or refused upload).
    func discard() {
        file?.discard()
    }
}

/// Hashes an upload as it is written: SHA-1 always (the desktop clients check it), MD5 too unless it is left to
/// `DeferredChecksums` (big uploads), and Adler-32 when the client sent one. Each digest is its own box so they can
/// run on different threads while the bytes are written on another; each box is used by one task at a time.
final class UploadHasher: @unchecked Sendable {
    final class Box<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let sha1 = Box(Insecure.SHA1())
    private var md5: Box<Insecure.MD5>? = Box(Insecure.MD5())
    private let adler: Box<UInt>?
    private let extra: ChecksumAlgorithm?
    private(set) var size: Int64 = 0

    init(extra: ChecksumAlgorithm?) {
        self.extra = extra
        adler = extra == .adler32 ? Box(adler32(0, nil, 0)) : nil
    }

    /// Leaves MD5 to be worked out after the upload, unless the client sent one to check; only before any byte.
    /// True when MD5 is now left out.
    @discardableResult
    func deferMD5() -> Bool {
        guard size == 0, extra != .md5 else { return false }
        md5 = nil
        return true
    }

    /// Writes and hashes one batch, in parallel on `pool`'s threads.
    func write(_ buffers: [ByteBuffer], to upload: UploadFile, pool: NIOThreadPool) async throws {
        let (sha1, md5, adler) = (sha1, md5, adler)
        async let written: Void = pool.runIfActive {
            try upload.write(buffers)
        }
        async let sha1Done: Void = pool.runIfActive {
            for buffer in buffers { buffer.withUnsafeReadableBytes { sha1.value.update(bufferPointer: $0) } }
        }
        if md5 != nil || adler != nil {
            try await pool.runIfActive { Self.update(md5: md5, adler: adler, with: buffers) }
        }
        try await written
        try await sha1Done
        size += Int64(buffers.reduce(0) { $0 + $1.readableBytes })
    }

    private static func update(md5: Box<Insecure.MD5>?, adler: Box<UInt>?, with buffers: [ByteBuffer]) {
        for buffer in buffers {
            buffer.withUnsafeReadableBytes { bytes in
                md5?.value.update(bufferPointer: bytes)
                if let adler, let base = bytes.baseAddress {
                    adler.value = adler32(adler.value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                }
            }
        }
    }

    /// The same, on the calling thread (chunk assembly, copies: already off the event loop).
    func write(_ buffers: [ByteBuffer], to upload: UploadFile) throws(StorageError) {
        try upload.write(buffers)
        for buffer in buffers {
            buffer.withUnsafeReadableBytes { sha1.value.update(bufferPointer: $0) }
        }
        Self.update(md5: md5, adler: adler, with: buffers)
        size += Int64(buffers.reduce(0) { $0 + $1.readableBytes })
    }

    func checksums() -> Checksums {
        let adlerHex = adler.map { String($0.value, radix: 16) }
        return Checksums(
            sha1: sha1.value.finalize().hexadecimal, md5: md5.map { $0.value.finalize().hexadecimal },
            adler32: adlerHex.map { String(repeating: "0", count: max(0, 8 - $0.count)) + $0 }, modified: 0, size: size)
    }
}
