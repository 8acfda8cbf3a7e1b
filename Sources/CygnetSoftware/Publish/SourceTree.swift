import CLinux
import Foundation

/// A directory tree to publish, read once with `lstat` (symlinks are never followed) and kept in memory
/// as a flat array in depth-first order.
struct SourceTree {
    enum Kind: Equatable {
        case directory
        case regular
        case symlink
        case special
    }

    struct Node {
        var name: [UInt8]
        /// Repository path: "" for the root, "/a/b" below it.
        var path: [UInt8]
        var parent: Int?
        var kind: Kind
        var status: FileStatus
        var symlinkTarget: [UInt8] = []
        var extendedAttributes: ExtendedAttributes?
        var children: [Int] = []
        /// A directory that starts a nested catalog (it holds `.cvmfscatalog`, or `.cvmfsdirtab` names it).
        var isCatalogRoot = false
    }

    let sourceRoot: String
    private(set) var nodes: [Node] = []

    /// Scans `sourceRoot`; refuses what a repository cannot hold (devices, unreadable entries) naming the path.
    static func scan(_ sourceRoot: String, extendedAttributes: Bool) throws -> SourceTree {
        var tree = SourceTree(sourceRoot: sourceRoot)
        var status = stat()
        guard lstat(sourceRoot, &status) == 0 else {
            throw SoftwareError.system("cannot publish \(sourceRoot)", errno: errno)
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw SoftwareError(.invalidArgument, "\(sourceRoot) is not a directory; publish takes a directory tree")
        }
        tree.nodes.append(Node(name: [], path: [], parent: nil, kind: .directory, status: FileStatus(status)))
        try tree.scanDirectory(0, extendedAttributes: extendedAttributes)
        tree.nodes[0].isCatalogRoot = true
        try tree.markDirtabCatalogs()
        return tree
    }

    func sourcePath(_ index: Int) -> String {
        sourceRoot + String(decoding: nodes[index].path, as: UTF8.self)
    }

    private mutating func scanDirectory(_ index: Int, extendedAttributes: Bool) throws {
        let directoryPath = sourcePath(index)
        for name in try Self.names(in: directoryPath) {
            let path = RepositoryPath.join(nodes[index].path, name)
            let fullPath = sourceRoot + String(decoding: path, as: UTF8.self)
            var status = stat()
            guard lstat(fullPath, &status) == 0 else {
                throw SoftwareError.system("cannot read \(fullPath)", errno: errno)
            }
            var node = Node(name: name, path: path, parent: index, kind: .regular, status: FileStatus(status))
            switch status.st_mode & S_IFMT {
            case S_IFDIR: node.kind = .directory
            case S_IFREG: node.kind = .regular
            case S_IFLNK:
                node.kind = .symlink
                node.symlinkTarget = try Self.linkTarget(fullPath)
            case S_IFIFO, S_IFSOCK: node.kind = .special
            default:
                throw SoftwareError(
                    .unsupported,
                    "\(fullPath) is a device file; a software repository cannot hold devices. Remove it from the source"
                )
            }
            if extendedAttributes { node.extendedAttributes = try Self.extendedAttributes(fullPath) }
            let child = nodes.count
            nodes.append(node)
            nodes[index].children.append(child)
            if name == Array(".cvmfscatalog".utf8), node.kind == .regular { nodes[index].isCatalogRoot = true }
            if node.kind == .directory { try scanDirectory(child, extendedAttributes: extendedAttributes) }
        }
    }

    /// Names in a directory, sorted bytewise, without "." and "..".
    private static func names(in path: String) throws -> [[UInt8]] {
        guard let directory = opendir(path) else { throw SoftwareError.system("cannot list \(path)", errno: errno) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private static func linkTarget(_ path: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pointer.count) {
                readlink(path, $0, pointer.count)
            }
        }
        guard count >= 0 else { throw SoftwareError.system("cannot read the link \(path)", errno: errno) }
        return Array(buffer[0..<count])
    }

    /// The `user.` attributes of an entry (others belong to the machine, not to the software).
    private static func extendedAttributes(_ path: String) throws -> ExtendedAttributes? {
        let size = cygnet_llistxattr(path, nil, 0)
        guard size > 0 else { return nil }
        var list = [CChar](repeating: 0, count: size)
        let listed = cygnet_llistxattr(path, &list, size)
        guard listed > 0 else { return nil }
        var attributes: [(name: [UInt8], value: [UInt8])] = []
        for name in list[0..<listed].split(separator: 0) where name.starts(with: Array("user.".utf8CString.dropLast()))
        {
            let key = Array(name) + [0]
            let valueSize = cygnet_lgetxattr(path, key, nil, 0)
            guard valueSize >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: valueSize)
            let read = cygnet_lgetxattr(path, key, &value, valueSize)
            guard read >= 0 else { continue }
            attributes.append((name.map { UInt8(bitPattern: $0) }, Array(value[0..<read])))
        }
        return attributes.isEmpty ? nil : try ExtendedAttributes(attributes)
    }

    /// `.cvmfsdirtab` at the source root: one absolute glob per line, `!` to exclude; every matching directory
    /// (hidden ones aside) starts a nested catalog.
    private mutating func markDirtabCatalogs() throws {
        let dirtab = sourceRoot + "/.cvmfsdirtab"
        guard let text = try? String(contentsOfFile: dirtab, encoding: .utf8) else { return }
        var include: [String] = []
        var exclude: [String] = []
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("!") {
                exclude.append(trimmed.dropFirst().trimmingCharacters(in: .whitespaces))
            } else {
                guard trimmed.hasPrefix("/") else {
                    throw SoftwareError(.invalidArgument, "\(dirtab): '\(trimmed)' is not an absolute path pattern")
                }
                include.append(trimmed)
            }
        }
        for index in nodes.indices where nodes[index].kind == .directory && index != 0 {
            guard nodes[index].name.first != UInt8(ascii: ".") else { continue }
            let path = String(decoding: nodes[index].path, as: UTF8.self)
            let matches = { (pattern: String) in fnmatch(pattern, path, FNM_PATHNAME) == 0 }
            if include.contains(where: matches) && !exclude.contains(where: matches) {
                nodes[index].isCatalogRoot = true
            }
        }
    }
}

/// The parts of `lstat` a publish uses, as plain Swift values.
struct FileStatus: Equatable, Sendable {
    /// What changes whenever a file's content may have: the publish cache compares it to skip reading the file.
    struct ChangeStamp: Equatable, Sendable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var ctimeNanoseconds: Int64
        var inode: Int64
        var device: Int64
    }

    var mode: UInt32
    var size: Int64
    var mtime: Int64
    var mtimeNanoseconds: Int64
    var ctimeNanoseconds: Int64
    var inode: UInt64
    var device: UInt64
    var uid: UInt32
    var gid: UInt32

    var changeStamp: ChangeStamp {
        ChangeStamp(
            size: size, mtimeNanoseconds: mtimeNanoseconds, ctimeNanoseconds: ctimeNanoseconds,
            inode: Int64(bitPattern: inode), device: Int64(bitPattern: device))
    }

    init(_ status: stat) {
        mode = UInt32(status.st_mode)
        size = Int64(status.st_size)
        mtime = Int64(status.st_mtim.tv_sec)
        mtimeNanoseconds = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        ctimeNanoseconds = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
        inode = UInt64(status.st_ino)
        device = UInt64(status.st_dev)
        uid = status.st_uid
        gid = status.st_gid
    }
}
