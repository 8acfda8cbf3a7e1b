import CLinux
import Glibc

/// A file being written in the staging folder, invisible to clients and sessions until it is committed by a rename
/// into place: an interrupted upload or a crash never leaves a half-written file in anyone's space.
public final class UploadFile: @unchecked Sendable {
    let descriptor: FileDescriptor
    /// Bytes written so far and how many of them were handed to the disk; touched by one writer at a time.
    private var written: Int64 = 0
    private var flushed: Int64 = 0
    static let writeBehind: Int64 = 8 << 20
    /// Where the file lies in the staging folder until it is committed.
    public let stagingPath: String

    init(descriptor: FileDescriptor, stagingPath: String) {
        self.descriptor = descriptor
        self.stagingPath = stagingPath
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
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
        if self.written - flushed >= Self.writeBehind {
            cygnet_sync_file_range(
                descriptor.raw, flushed, self.written - flushed, UInt32(CYGNET_SYNC_FILE_RANGE_WRITE))
            flushed = self.written
        }
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
