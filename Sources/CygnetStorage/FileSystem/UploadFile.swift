import CLinux
import Glibc
public import NIOCore

/// A file being written, invisible to clients and sessions until it is committed into place: an interrupted upload
/// or a crash never leaves a half-written file in anyone's space. Committing syncs the file, then names it, then
/// syncs its folder, so an upload that was answered survives a power cut with its name; a small upload leaves that
/// to the upload journal (`UploadJournal`), which makes many uploads durable with one write. It is an unnamed file
/// (O_TMPFILE) in the folder it is for, linked there once written, or a file in the staging folder renamed into place.
///
/// Unnamed files in the destination folder matter for speed: ext4 gives a new file an inode from its folder's
/// block group, so staging every upload in one folder drew all inodes from one group; without a journal, ext4
/// skips there every inode freed in the last minutes, and after someone deleted a few thousand files each create
/// cost a millisecond (measured: 1,000 creates 1.13 s after 20,000 deletes in the folder, 0.03 s before).
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
    /// Where the file lies in the staging folder until it is committed; nil for an unnamed file, which
    /// disappears by itself when it is closed uncommitted, even in a crash.
    public let stagingPath: String?
    /// The aligned buffer of direct writes and how many bytes in it wait for a whole block.
    private var aligned: UnsafeMutableRawPointer?
    private var alignedCapacity = 0
    private var pending = 0
    static let blockSize = 4096

    init(descriptor: FileDescriptor, stagingPath: String?) {
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

    /// The first `size` bytes written (for the upload journal: small files only, read back from the page cache).
    func contents(size: Int) throws(StorageError) -> [UInt8] {
        let bytes = try descriptor.read(upTo: size, action: "reading the upload back")
        guard bytes.count == size else { throw FileSystemErrors.mapped(EIO, "reading the upload back") }
        return bytes
    }

    /// Removes the staged file (after a failed or refused upload); an unnamed one goes with its descriptor.
    public func discard() {
        if let stagingPath { unlink(stagingPath) }
    }
}

extension SpaceFileSystem {
    public func beginUpload() throws(StorageError) -> UploadFile {
        let path = stagingName()
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemErrors.mapped(errno, "starting the upload") }
        return UploadFile(descriptor: FileDescriptor(fd), stagingPath: path)
    }

    /// An upload to be committed at `destination`: an unnamed file in its folder where the system allows it, else
    /// (no O_TMPFILE, no /proc, no such folder yet: the commit will say so) a file in the staging folder.
    public func beginUpload(for destination: SpacePath) throws(StorageError) -> UploadFile {
        guard let folder = try? parentFolder(of: destination) else { return try beginUpload() }
        return try beginUpload(in: folder)
    }

    func beginUpload(in folder: FileDescriptor) throws(StorageError) -> UploadFile {
        guard Self.canLinkUnnamedFiles else { return try beginUpload() }
        let fd = openat(folder.raw, ".", CYGNET_O_TMPFILE | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return try beginUpload() }
        return UploadFile(descriptor: FileDescriptor(fd), stagingPath: nil)
    }

    /// An unnamed file is named by its descriptor where the kernel allows that, else through its /proc/self/fd link
    /// (a path lookup more).
    static let canLinkUnnamedFiles = access("/proc/self/fd", X_OK) == 0

    /// `linkat` of the unnamed file `fd` as `name` in `folder`; 0, or -1 with errno set.
    private static func link(_ fd: Int32, into folder: Int32, name: String) -> Int32 {
        if linkat(fd, "", folder, name, CYGNET_AT_EMPTY_PATH) == 0 { return 0 }
        guard errno == ENOENT || errno == EPERM else { return -1 }
        return linkat(AT_FDCWD, "/proc/self/fd/\(fd)", folder, name, AT_SYMLINK_FOLLOW)
    }

    private func stagingName() -> String {
        staging + "/" + String(UInt64.random(in: .min ... .max), radix: 16) + ".part"
    }

    /// Makes the upload durable, gives it its owner and modification time, and renames it over `path` in one step.
    /// `synced: false` leaves durability to the caller (the upload journal): nothing waits for the disk.
    @discardableResult
    public func commit(_ upload: UploadFile, to path: SpacePath, modified: Int64?, synced: Bool = true)
        throws(StorageError) -> FileEntry
    {
        let parent = try parentFolder(of: path)
        return try commit(upload, into: parent, name: path.name, modified: modified, synced: synced)
    }

    @discardableResult
    func commit(
        _ upload: UploadFile, into parent: FileDescriptor, name: String, modified: Int64?, synced: Bool = true
    ) throws(StorageError) -> FileEntry {
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
        guard !synced || fdatasync(fd) == 0 else { throw FileSystemErrors.mapped(errno, "saving the upload") }
        if let stagingPath = upload.stagingPath {
            try rename(stagingPath, into: parent, name: name)
        } else {
            try link(upload, into: parent, name: name)
        }
        if synced { try syncFolder(parent) }
        var entry = try upload.descriptor.status()
        entry.name = name
        return entry
    }

    /// Makes the folder's new entry durable too. Until the folder is written out (up to half a minute later) a power
    /// cut would lose the name of a file already answered 201, and a sync client would then take the missing file
    /// for a delete on the server and remove its own copy. `fdatasync`: a folder's times are not worth a write.
    /// Uploads finishing together in one folder share the kernel's writes; sharing the calls too (one sync for the
    /// uploads waiting, as a group commit) measured no faster. `parent` is O_PATH, which cannot be synced itself.
    private func syncFolder(_ parent: FileDescriptor) throws(StorageError) {
        let folder = openat(parent.raw, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw FileSystemErrors.mapped(errno, "saving the folder of the upload") }
        defer { close(folder) }
        guard fdatasync(folder) == 0 else { throw FileSystemErrors.mapped(errno, "saving the folder of the upload") }
    }

    private func rename(_ stagingPath: String, into parent: FileDescriptor, name: String) throws(StorageError) {
        guard renameat(AT_FDCWD, stagingPath, parent.raw, name) == 0 else {
            let failure = errno
            if failure == EISDIR || failure == ENOTEMPTY {
                throw StorageError(.conflict, "A folder named \(name) is already there")
            }
            throw FileSystemErrors.mapped(failure, "putting the upload in place")
        }
    }

    /// Names an unnamed upload: a link where nothing is yet; over an existing file, a link in the staging folder
    /// renamed over it, so that readers see the old file or the new one and never neither.
    private func link(_ upload: UploadFile, into parent: FileDescriptor, name: String) throws(StorageError) {
        if Self.link(upload.descriptor.raw, into: parent.raw, name: name) == 0 { return }
        guard errno == EEXIST else { throw FileSystemErrors.mapped(errno, "putting the upload in place") }
        let staged = stagingName()
        guard Self.link(upload.descriptor.raw, into: AT_FDCWD, name: staged) == 0 else {
            throw FileSystemErrors.mapped(errno, "putting the upload in place")
        }
        do {
            try rename(staged, into: parent, name: name)
        } catch {
            unlink(staged)
            throw error
        }
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
