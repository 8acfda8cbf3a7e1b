import CFuse3
import Glibc
import Logging

/// What libfuse's C callbacks reach through their userdata pointer: the file system and the per-mount settings
/// that shape replies. One per ``FUSEMount``, which keeps it alive for as long as the session exists.
///
/// Every request handler below answers its request exactly once, on every path: libfuse leaks the request
/// and the kernel waits forever otherwise.
final class RequestHandler: Sendable {
    let fileSystem: any ReadOnlyFileSystem
    let negativeEntryTimeout: Double
    let cacheDirectoryListings: Bool
    let skipOpenRequests: Bool
    let logger: Logger
    let openFiles = HandleRegistry<OpenFileHandle>()
    let openDirectories = HandleRegistry<DirectoryHandle>()
    /// Used when the kernel sends no `open` (``FUSEMountOptions/skipOpenRequests``).
    let inodes = InodeResources()

    init(fileSystem: any ReadOnlyFileSystem, options: FUSEMountOptions, logger: Logger) {
        self.fileSystem = fileSystem
        self.negativeEntryTimeout = options.negativeEntryTimeout
        self.cacheDirectoryListings = options.cacheDirectoryListings
        self.skipOpenRequests = options.skipOpenRequests
        self.logger = logger
    }

    /// The handler a request belongs to. The pointer was made by `passUnretained` in ``FUSESession``; the
    /// mount holds the reference.
    static func of(_ request: OpaquePointer?) -> RequestHandler {
        Unmanaged<RequestHandler>.fromOpaque(fuse_req_userdata(request)!).takeUnretainedValue()
    }

    /// Answers with `error`. A failure to send means the kernel dropped the request (interrupted); there is
    /// nobody left to tell.
    static func replyError(_ request: OpaquePointer?, _ error: FUSEError) {
        _ = fuse_reply_err(request, error.errno)
    }

    /// Copies a NUL-terminated name from the kernel into bytes the file system can keep.
    static func bytes(of name: UnsafePointer<CChar>) -> [UInt8] {
        let length = strlen(name)
        return name.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// Calls `body` with `bytes` as a NUL-terminated C string, without a heap allocation for short names.
    static func withCString<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            buffer[bytes.count] = 0
            return body(buffer.baseAddress!)
        }
    }
}
