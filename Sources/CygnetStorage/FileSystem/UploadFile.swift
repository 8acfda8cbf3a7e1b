import CLinux
import Glibc
public import NIOCore

/// A file being written in the staging folder, invisible to clients and sessions until it is committed by a rename
/// into place: an interrupted upload or a crash never leaves a half-written file in anyone's space.
///
/// Big uploads are written with O_DIRECT, around the page cache: copying a gigabyte into the cache cost more CPU
/// than hashing it, and its speed swung fivefold with the kernel's memory reclaim. Direct writes must be whole
/// blocks from aligned memory, so bytes are gathered in an aligned buffer and the last partial block is written
/// normally when the upload ends.
public final class UploadFile: @unchecked Sendable {
    let descriptor: FileDescriptor
    /// Bytes written so far and how many of them were handed to the disk; touched by one writer at a time.
    private var written: Int64 = 0
    private var flushed: Int64 = 0
    static let writeBehind: Int64 = 8 << 20
    /// Where the file lies in the staging folder until it is committed.
    public let stagingPath: String
    /// The aligned buffer of direct writes and how many bytes in it wait for a whole block.
    private var aligned: UnsafeMutableRawPointer?
    private var alignedCapacity = 0
    private var pending = 0
    static let blockSize = 4096

    init(descriptor: FileDescriptor, stagingPath: String) {
        self.descriptor = descriptor
        self.stagingPath = stagingPath
    }

    deinit {
        free(aligned)
    }

    /// Switches to direct writes; false (and nothing changes) where the file system does not offer them.
    @discardableResult
    func startDirectWrites() -> Bool {
        guard aligned == nil, written % Int64(Self.blockSize) == 0 else { return false }
        let flags = fcntl(descriptor.raw, F_GETFL)
        guard flags >= 0, fcntl(descriptor.raw, F_SETFL, flags | CYGNET_O_DIRECT) == 0 else { return false }
        reserveAligned(2 << 20)
        return aligned != nil
    }

    /// Writes the bytes at the end of the file.
    public func write(_ buffers: [ByteBuffer]) throws(StorageError) {
        guard aligned != nil else {
            for buffer in buffers {
                try buffer.withUnsafeReadableBytes { bytes throws(StorageError) in try writeAll(bytes) }
            }
            writeBehind()
            return
        }
        let total = pending + buffers.reduce(0) { $0 + $1.readableBytes }
        reserveAligned(total)
        guard let aligned else { throw StorageError(.internalError, "Out of memory for an upload buffer") }
        for buffer in buffers {
            buffer.withUnsafeReadableBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                (aligned + pending).copyMemory(from: base, byteCount: bytes.count)
                pending += bytes.count
            }
        }
        let whole = pending / Self.blockSize * Self.blockSize
        try writeAll(UnsafeRawBufferPointer(start: aligned, count: whole))
        pending -= whole
        if pending > 0 { (aligned).copyMemory(from: aligned + whole, byteCount: pending) }
    }

    /// Writes what waits in the aligned buffer without O_DIRECT (it is not a whole block) and goes back to normal
    /// writes: before more small writes, and before the upload is synced and committed.
    func endDirectWrites() throws(StorageError) {
        guard let aligned else { return }
        let flags = fcntl(descriptor.raw, F_GETFL)
        guard flags >= 0, fcntl(descriptor.raw, F_SETFL, flags & ~CYGNET_O_DIRECT) == 0 else {
            throw FileSystemErrors.mapped(errno, "finishing the upload")
        }
        try writeAll(UnsafeRawBufferPointer(start: aligned, count: pending))
        pending = 0
        free(aligned)
        self.aligned = nil
        alignedCapacity = 0
    }

    private func reserveAligned(_ bytes: Int) {
        guard bytes > alignedCapacity || aligned == nil else { return }
        let capacity = max(bytes, alignedCapacity * 2, 2 << 20)
        var fresh: UnsafeMutableRawPointer?
        guard posix_memalign(&fresh, Self.blockSize, capacity) == 0, let fresh else { return }
        if let aligned, pending > 0 { fresh.copyMemory(from: aligned, byteCount: pending) }
        free(aligned)
        aligned = fresh
        alignedCapacity = capacity
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor.raw, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemErrors.mapped(errno, "writing the upload")
            }
            offset += written
        }
        self.written += Int64(bytes.count)
    }

    /// Starts writing the page cache out every few megabytes, so the final fdatasync has little left to wait for.
    private func writeBehind() {
        guard written - flushed >= Self.writeBehind else { return }
        cygnet_sync_file_range(descriptor.raw, flushed, written - flushed, UInt32(CYGNET_SYNC_FILE_RANGE_WRITE))
        flushed = written
    }

    func copyContents(of source: FileDescriptor, size: Int64) throws(StorageError) {
        var remaining = size
        while remaining > 0 {
            let copied = cygnet_copy_file_range(source.raw, nil, descriptor.raw, nil, Int(min(remaining, 1 << 30)), 0)
            if copied < 0 {
                if errno == EINTR { continue }
                throw FileSystemErrors.mapped(errno, "copying a file")
            }
            if copied == 0 { break }
            remaining -= Int64(copied)
        }
    }

    /// Removes the staged file (after a failed or refused upload).
    public func discard() {
        unlink(stagingPath)
    }
}

extension SpaceFileSystem {
    public func beginUpload() throws(StorageError) -> UploadFile {
        let path = staging + "/" + String(UInt64.random(in: .min ... .max), radix: 16) + ".part"
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemErrors.mapped(errno, "starting the upload") }
        return UploadFile(descriptor: FileDescriptor(fd), stagingPath: path)
    }

    /// Makes the upload durable, gives it its owner and modification time, and renames it over `path` in one step.
    @discardableResult
    public func commit(_ upload: UploadFile, to path: SpacePath, modified: Int64?) throws(StorageError) -> FileEntry {
        let parent = try parentFolder(of: path)
        return try commit(upload, into: parent, name: path.name, modified: modified)
    }

    @discardableResult
    func commit(_ upload: UploadFile, into parent: FileDescriptor, name: String, modified: Int64?) throws(StorageError)
        -> FileEntry
    {
        try upload.endDirectWrites()
        let fd = upload.descriptor.raw
        if let owner { fchown(fd, owner.userID, owner.groupID) }
        if let modified {
            var times = [
                timespec(tv_sec: 0, tv_nsec: Int(CYGNET_UTIME_OMIT)),
                timespec(tv_sec: Int(modified / 1_000_000_000), tv_nsec: Int(modified % 1_000_000_000)),
            ]
            futimens(fd, &times)
        }
        guard fdatasync(fd) == 0 else { throw FileSystemErrors.mapped(errno, "saving the upload") }
        guard renameat(AT_FDCWD, upload.stagingPath, parent.raw, name) == 0 else {
            let failure = errno
            if failure == EISDIR || failure == ENOTEMPTY {
                throw StorageError(.conflict, "A folder named \(name) is already there")
            }
            throw FileSystemErrors.mapped(failure, "putting the upload in place")
        }
        var entry = try upload.descriptor.status()
        entry.name = name
        return entry
    }

    /// Removes uploads a crash left behind in the staging folder.
    public static func clearStaging(_ staging: String) {
        guard let stream = opendir(staging) else { return }
        defer { closedir(stream) }
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name.hasSuffix(".part") { unlink(staging + "/" + name) }
        }
    }
}
