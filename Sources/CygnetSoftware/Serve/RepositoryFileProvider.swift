import Foundation
public import Hummingbird
public import Logging
import NIOPosix

/// Serves files of the repositories folder and nothing else: paths are resolved with `realpath` and must stay
/// inside the folder (a symlink planted in a repository cannot reach /etc), and the publisher's scratch space
/// (`data/txn`) is never served.
public struct RepositoryFileProvider: FileProvider {
    public typealias FileAttributes = LocalFileSystem.FileAttributes
    public typealias FileIdentifier = String

    private let root: String
    private let files: LocalFileSystem

    public init(root: String, logger: Logger) {
        let resolved = root.withCString { path in realpath(path, nil) }
        self.root = resolved.map { String(cString: $0) } ?? root
        free(resolved)
        files = LocalFileSystem(rootFolder: self.root, threadPool: .singleton, logger: logger)
    }

    public func getFileIdentifier(_ path: String) -> String? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains(where: { $0 == ".." || $0 == "." }),
            !(components.count >= 3 && components[1] == "data" && components[2] == "txn"),
            let candidate = files.getFileIdentifier(path),
            let resolved = candidate.withCString({ realpath($0, nil) })
        else { return nil }
        defer { free(resolved) }
        let real = String(cString: resolved)
        guard real.hasPrefix(root + "/") else { return nil }
        return real
    }

    public func getAttributes(id: String) async throws -> FileAttributes? {
        guard let attributes = try await files.getAttributes(id: id), !attributes.isFolder else { return nil }
        return attributes
    }

    public func loadFile(id: String, context: some RequestContext) async throws -> ResponseBody {
        try await files.loadFile(id: id, context: context)
    }

    public func loadFile(id: String, range: ClosedRange<Int>, context: some RequestContext) async throws
        -> ResponseBody
    {
        try await files.loadFile(id: id, range: range, context: context)
    }
}
