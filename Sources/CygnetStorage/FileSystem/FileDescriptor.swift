import Glibc
import NIOCore

/// An open file descriptor, closed when the last reference goes away.
final class FileDescriptor: Sendable {
    let raw: Int32

    init(_ raw: Int32) {
        self.raw = raw
    }

    deinit {
        close(raw)
    }

    /// True for a file or folder that no name leads to any more.
    var isRemoved: Bool {
        var info = stat()
        return fstat(raw, &info) == 0 && info.st_nlink == 0
    }

    /// Up to `size` bytes from the start of the file; fewer only where the file ends sooner.
    func read(upTo size: Int, action: String) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let read = bytes.withUnsafeMutableBytes { pread(raw, $0.baseAddress! + done, size - done, off_t(done)) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else { throw FileSystemErrors.mapped(errno, action) }
            if read == 0 { break }
            done += read
        }
        return Array(bytes[..<done])
    }

    func status() throws(StorageError) -> FileEntry {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw FileSystemErrors.mapped(errno, "reading the file's details") }
        return FileEntry(name: "", info)
    }
}

/// One entry of a user's space as `stat` sees it.
public struct FileEntry: Sendable, Hashable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int64
    /// Modification and change times in nanoseconds since 1970.
    public var modified: Int64
    public var changed: Int64
    public var inode: UInt64
    public var mode: UInt32

    init(name: String, _ info: stat) {
        self.name = name
        isDirectory = info.st_mode & S_IFMT == S_IFDIR
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        inode = UInt64(info.st_ino)
        mode = UInt32(info.st_mode)
    }

    public var modifiedSeconds: Int64 { modified / 1_000_000_000 }

    /// A file's ETag: changes whenever its content is replaced or written (size, mtime) or it is a different file.
    public var fileETag: String {
        var buffer = ByteBufferAllocator().buffer(capacity: 40)
        writeFileETag(to: &buffer)
        return String(buffer: buffer)
    }

    /// The ETag (unquoted) written as hex straight into a listing.
    func writeFileETag(to buffer: inout ByteBuffer) {
        Self.writeHex(UInt64(bitPattern: modified), to: &buffer)
        buffer.writeInteger(UInt8(ascii: "-"))
        Self.writeHex(UInt64(bitPattern: size), to: &buffer)
        buffer.writeInteger(UInt8(ascii: "-"))
        Self.writeHex(inode, to: &buffer)
    }

    static func writeHex(_ value: UInt64, to buffer: inout ByteBuffer) {
        var shift = max(0, (63 - value.leadingZeroBitCount) / 4 * 4)
        while shift >= 0 {
            let nibble = UInt8((value >> UInt64(shift)) & 0xF)
            buffer.writeInteger(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            shift -= 4
        }
    }
}

enum FileSystemErrors {
    /// Turns an errno from a call on a client's path into the error the client sees.
    static func mapped(_ code: Int32, _ action: String) -> StorageError {
        switch code {
        case ENOENT: StorageError(.notFound, "Not found while \(action)")
        case ENOTDIR: StorageError(.conflict, "A parent of the path is a file, not a folder (\(action))")
        case EEXIST, ENOTEMPTY: StorageError(.notAllowed, "Something already exists there (\(action))")
        case ELOOP, EXDEV:
            StorageError(.forbidden, "The path leads through a symbolic link or out of your space (\(action))")
        case EACCES, EPERM, EROFS: StorageError(.forbidden, "Permission denied while \(action)")
        case ENOSPC, EDQUOT: StorageError(.insufficientStorage, "The disk is full (\(action))")
        case ENAMETOOLONG: StorageError(.badRequest, "A name is too long (\(action))")
        case EISDIR: StorageError(.conflict, "The path is a folder (\(action))")
        default: StorageError(.internalError, "\(String(cString: strerror(code))) while \(action)")
        }
    }
}
