import Synchronization

/// One revision of a repository as a mount sees it: the verified manifest, the root catalog, and nested catalogs
/// loaded the first time a path below them is asked for.
final class RepositoryRevision: Sendable {
    let manifest: Manifest
    /// Distinguishes the revisions one mount has seen (inode numbers are per generation).
    let generation: UInt64
    let root: LoadedCatalog
    private let nested = Mutex<[[UInt8]: LoadedCatalog]>([:])
    private let loader: @Sendable (NestedCatalogReference) throws -> LoadedCatalog

    init(
        manifest: Manifest, generation: UInt64, root: LoadedCatalog,
        loader: @escaping @Sendable (NestedCatalogReference) throws -> LoadedCatalog
    ) {
        self.manifest = manifest
        self.generation = generation
        self.root = root
        self.loader = loader
    }

    func entry(_ path: [UInt8]) throws -> CatalogEntry? {
        try catalog(for: path).entry(path)
    }

    func children(_ path: [UInt8]) throws -> [CatalogEntry] {
        try catalog(for: path).children(path)
    }

    func chunks(_ path: [UInt8], algorithm: HashAlgorithm) throws -> [FileChunk] {
        try catalog(for: path).chunks(path, algorithm: algorithm)
    }

    /// How many nested catalogs have been loaded so far.
    var loadedNestedCatalogs: Int { nested.withLock { $0.count } }

    /// The root of the catalog `path` belongs to ("" for the root catalog).
    func catalogRoot(of path: [UInt8]) throws -> [UInt8] { try catalog(for: path).mountpoint }

    /// The deepest catalog whose mountpoint is `path` or a directory above it.
    private func catalog(for path: [UInt8]) throws -> LoadedCatalog {
        var current = root
        while let reference = current.nested.first(where: { Self.isWithin(path, $0.path) }) {
            current = try load(reference)
        }
        return current
    }

    private func load(_ reference: NestedCatalogReference) throws -> LoadedCatalog {
        if let loaded = nested.withLock({ $0[reference.path] }) { return loaded }
        let loaded = try loader(reference)
        guard loaded.mountpoint == reference.path else {
            throw SoftwareError(
                .corrupt, "the nested catalog for \(RepositoryPath.string(reference.path)) has another root")
        }
        return nested.withLock { catalogs in
            if let raced = catalogs[reference.path] { return raced }
            catalogs[reference.path] = loaded
            return loaded
        }
    }

    static func isWithin(_ path: [UInt8], _ mountpoint: [UInt8]) -> Bool {
        path.count >= mountpoint.count && path.starts(with: mountpoint)
            && (path.count == mountpoint.count || path[mountpoint.count] == UInt8(ascii: "/"))
    }
}

/// An open catalog database. Queries are serialised per catalog (SQLite connections are not shared between
/// threads); they take microseconds, and the kernel caches most answers anyway.
final class LoadedCatalog: Sendable {
    let mountpoint: [UInt8]
    let nested: [NestedCatalogReference]
    let properties: [String: String]
    private let reader: Mutex<CatalogReader>

    init(path: String, mountpoint: [UInt8]) throws {
        let reader = try CatalogReader(path: path)
        nested = try reader.nestedCatalogs().sorted { $0.path.count > $1.path.count }
        properties = try reader.properties()
        let prefix = properties["root_prefix"].map { Array($0.utf8) } ?? []
        guard prefix == mountpoint else {
            throw SoftwareError(
                .corrupt,
                "a catalog says it starts at '\(properties["root_prefix"] ?? "/")', not at "
                    + "'\(RepositoryPath.string(mountpoint))'")
        }
        self.mountpoint = mountpoint
        self.reader = Mutex(reader)
    }

    func entry(_ path: [UInt8]) throws -> CatalogEntry? {
        try reader.withLock { try $0.entry(path: path) }
    }

    func children(_ path: [UInt8]) throws -> [CatalogEntry] {
        try reader.withLock { try $0.children(of: path) }
    }

    func chunks(_ path: [UInt8], algorithm: HashAlgorithm) throws -> [FileChunk] {
        try reader.withLock { try $0.chunks(path: path, algorithm: algorithm) }
    }

    /// The root catalog's time to live in seconds (240 when it does not say).
    var timeToLive: Int { properties["TTL"].flatMap(Int.init) ?? 240 }
}
