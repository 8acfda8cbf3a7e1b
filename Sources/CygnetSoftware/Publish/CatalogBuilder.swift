import Foundation

/// Writes the catalogs of one revision from a scanned tree: one per catalog root (the repository root and every
/// directory marked as nested), deepest first, so each parent can list its children's hashes.
struct CatalogBuilder {
    struct Written {
        var hash: ContentHash
        /// Uncompressed bytes of the catalog database.
        var size: Int
        var timeToLive: Int
        var statistics: CatalogStatistics
    }

    let tree: SourceTree
    let stored: [Int: StoredFile]
    let storage: RepositoryStorage
    let workDirectory: URL
    let revision: Int
    let lastModified: Int
    let algorithm: HashAlgorithm
    private(set) var count = 0

    init(
        tree: SourceTree, stored: [Int: StoredFile], storage: RepositoryStorage, workDirectory: URL, revision: Int,
        lastModified: Int, algorithm: HashAlgorithm
    ) {
        self.tree = tree
        self.stored = stored
        self.storage = storage
        self.workDirectory = workDirectory
        self.revision = revision
        self.lastModified = lastModified
        self.algorithm = algorithm
    }

    mutating func write(previousRoot: ContentHash?, timeToLive: Int) throws -> Written {
        try writeCatalog(rootedAt: 0, previous: previousRoot, timeToLive: timeToLive)
    }

    private mutating func writeCatalog(rootedAt rootIndex: Int, previous: ContentHash?, timeToLive: Int?) throws
        -> Written
    {
        let file = workDirectory.appending(path: "catalog-\(rootIndex).sqlite").path
        defer { unlink(file) }
        let root = tree.nodes[rootIndex]
        let statistics: CatalogStatistics
        do {
            let writer = try CatalogWriter(path: file, rootPrefix: root.path)
            var rootEntry = try entry(for: rootIndex)
            if rootIndex != 0 { rootEntry.flags.insert(.nestedRoot) }
            try writer.add(path: root.path, parent: root.parent.map { tree.nodes[$0].path }, entry: rootEntry)
            try addChildren(of: rootIndex, to: writer)
            statistics = try writer.finish(
                revision: revision, lastModified: lastModified, previous: previous, timeToLive: timeToLive, extra: [:])
        }
        let bytes = try AtomicFile.read(file)
        let hash = try storage.store(Zlib.compress(bytes, level: 6), kind: .catalog, algorithm: algorithm)
        count += 1
        return Written(hash: hash, size: bytes.count, timeToLive: timeToLive ?? 0, statistics: statistics)
    }

    private mutating func addChildren(of directory: Int, to writer: CatalogWriter) throws {
        let parentPath = tree.nodes[directory].path
        for child in tree.nodes[directory].children {
            let node = tree.nodes[child]
            var row = try entry(for: child)
            if node.kind == .directory && node.isCatalogRoot {
                let nested = try writeCatalog(rootedAt: child, previous: nil, timeToLive: nil)
                row.flags.insert(.nestedMountpoint)
                try writer.add(path: node.path, parent: parentPath, entry: row)
                try writer.addNested(
                    NestedCatalogReference(path: node.path, hash: nested.hash, size: Int64(nested.size)),
                    statistics: nested.statistics)
                continue
            }
            try writer.add(path: node.path, parent: parentPath, entry: row, chunks: stored[child]?.chunks ?? [])
            if node.kind == .directory { try addChildren(of: child, to: writer) }
        }
    }

    /// The catalog row of a scanned node.
    private func entry(for index: Int) throws -> CatalogEntry {
        let node = tree.nodes[index]
        let status = node.status
        var entry = CatalogEntry(
            name: node.name, mode: status.mode, size: status.size, mtime: status.mtime, flags: [], uid: status.uid,
            gid: status.gid, extendedAttributes: node.extendedAttributes)
        switch node.kind {
        case .directory:
            entry.flags = .directory
            let subdirectories = node.children.count { tree.nodes[$0].kind == .directory }
            entry.linkCount = UInt32(2 + subdirectories)
        case .symlink:
            entry.flags = [.file, .link]
            entry.symlink = node.symlinkTarget
            entry.size = Int64(node.symlinkTarget.count)
        case .special:
            entry.flags = [.file, .special]
            entry.size = 0
        case .regular:
            guard let file = stored[index] else {
                throw SoftwareError(.io, "\(tree.sourcePath(index)) was not stored (internal error)")
            }
            entry.flags = file.chunks.isEmpty ? .file : [.file, .chunked]
            entry.flags.algorithm = algorithm
            entry.flags.isCompressed = file.compressed
            entry.hash = file.hash
        }
        return entry
    }
}
