import CLinux
public import Foundation
public import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Serves files of the repositories folder and nothing else: every path is opened with
/// `openat2(RESOLVE_BENEATH)` below the folder, so the kernel refuses `..` and symlinks that would leave it (a
/// symlink planted in a repository cannot reach /etc), and the publisher's scratch space (`data/txn`) is never
/// served.
///
/// A mount fetching a stack's prefetch bundle asks for hundreds of small objects at once, so for those the
/// syscalls and thread-pool trips per request are most of the server's work: a file up to `wholeFileLimit` is
/// opened, checked and read in one trip, when its attributes are asked for; larger ones are streamed.
public struct RepositoryFileProvider: FileProvider {
    public struct FileAttributes: FileMiddlewareFileAttributes, Sendable {
        public var isFolder: Bool
        public var size: Int
        public var modificationDate: Date
    }

    /// A requested file; carries its size, and its bytes when it was small enough to read, from `getAttributes`
    /// to `loadFile`.
    public final class FileIdentifier: Sendable {
        let relativePath: String
        let found = Mutex<(size: Int, contents: ByteBuffer?)>((0, nil))

        init(relativePath: String) { self.relativePath = relativePath }
    }

    static let wholeFileLimit = 4 << 20
    private static let streamPiece = 1 << 20

    private let root: RootDirectory
    private let threadPool: NIOThreadPool

    public init(root: String, logger: Logger) {
        self.root = RootDirectory(path: root)
        self.threadPool = .singleton
        if self.root.descriptor < 0 {
            logger.error(
                "cannot open the repositories folder; every request will be answered 404",
                metadata: ["folder": "\(root)"])
        }
    }

    public func getFileIdentifier(_ path: String) -> FileIdentifier? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty, !components.contains(where: { $0 == ".." || $0 == "." || $0.contains("\0") }),
            !(components.count >= 3 && components[1] == "data" && components[2] == "txn")
        else { return nil }
        return FileIdentifier(relativePath: components.joined(separator: "/"))
    }

    public func getAttributes(id: FileIdentifier) async throws -> FileAttributes? {
        let root = root
        let loaded = try? await threadPool.runIfActive { () -> (FileAttributes, ByteBuffer?)? in
            let descriptor = try root.open(id.relativePath)
            defer { close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
            let attributes = FileAttributes(
                isFolder: false, size: Int(status.st_size),
                modificationDate: Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec)))
            guard attributes.size <= Self.wholeFileLimit else { return (attributes, nil) }
            return (attributes, try Self.read(descriptor, at: 0, count: attributes.size))
        }
        guard let (attributes, contents) = loaded ?? nil else { return nil }
        id.found.withLock { $0 = (attributes.size, contents) }
        return attributes
    }

    public func loadFile(id: FileIdentifier, context: some RequestContext) async throws -> ResponseBody {
        let size = id.found.withLock { $0.size }
        guard size > 0 else { return ResponseBody() }
        return try await loadFile(id: id, range: 0...(size - 1), context: context)
    }

    public func loadFile(id: FileIdentifier, range: ClosedRange<Int>, context: some RequestContext) async throws
        -> ResponseBody
    {
        let (size, contents) = id.found.withLock { $0 }
        guard size > 0 else { return ResponseBody() }
        let clamped = range.clamped(to: 0...(size - 1))
        if let contents {
            return ResponseBody(byteBuffer: contents.getSlice(at: clamped.lowerBound, length: clamped.count)!)
        }
        return stream(id, range: clamped)
    }

    /// A large file, read a piece at a time from a descriptor opened (beneath the root again) when sending starts.
    private func stream(_ id: FileIdentifier, range: ClosedRange<Int>) -> ResponseBody {
        let (root, threadPool) = (root, threadPool)
        return ResponseBody(contentLength: range.count) { writer in
            let descriptor = try await threadPool.runIfActive { try root.open(id.relativePath) }
            defer { close(descriptor) }
            var offset = range.lowerBound
            let end = range.upperBound + 1
            while offset < end {
                let (at, count) = (offset, min(Self.streamPiece, end - offset))
                let piece = try await threadPool.runIfActive { try Self.read(descriptor, at: at, count: count) }
                if piece.readableBytes == 0 { break }
                try await writer.write(piece)
                offset += piece.readableBytes
            }
            try await writer.finish(nil)
        }
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file).
    private static func read(_ descriptor: Int32, at offset: Int, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            var done = 0
            while done < count {
                let got = pread(descriptor, space.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else { throw HTTPError(.internalServerError, message: "cannot read a repository file") }
                if got == 0 { break }
                done += got
            }
            return done
        }
        return buffer
    }
}

/// The repositories folder, held open for the server's life: every request's path is resolved beneath it.
private final class RootDirectory: Sendable {
    let descriptor: Int32

    init(path: String) {
        descriptor = Foundation.open(path, Int32(CYGNET_O_PATH) | O_DIRECTORY | O_CLOEXEC)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func open(_ relativePath: String) throws -> Int32 {
        let opened = cygnet_openat2(
            descriptor, relativePath, UInt64(O_RDONLY | O_CLOEXEC), 0,
            UInt64(CYGNET_RESOLVE_BENEATH | CYGNET_RESOLVE_NO_MAGICLINKS))
        guard opened >= 0 else { throw HTTPError(.notFound) }
        return opened
    }
}
