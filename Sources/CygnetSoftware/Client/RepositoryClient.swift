public import Foundation
import Synchronization

/// Fetches and checks what a mount needs: the signed manifest (with certificate and whitelist), catalogs and
/// file objects, each verified against its hash before it enters the cache.
public final class RepositoryClient: Sendable {
    public let name: RepositoryName
    public let servers: ServerPool
    public let cache: ObjectCache
    let verifier: RepositoryVerifier
    private let generations = Atomic<UInt64>(0)
    private let fetchLocks = KeyedLocks()
    /// Separate from `fetchLocks`: an assembly holds its lock while its chunks take theirs, never the reverse.
    private let assemblyLocks = KeyedLocks()
    private let clock: @Sendable () -> Date

    public init(
        name: RepositoryName, servers: [String], proxies: [String], cache: ObjectCache, trustedMasterKeys: [RSAKey],
        timeouts: (connect: Double, stall: Int, total: Double) = (3, 5, 60),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.name = name
        self.servers = try ServerPool(
            repository: name, servers: servers, proxies: proxies,
            timeouts: .init(connect: timeouts.connect, stall: timeouts.stall, total: timeouts.total))
        self.cache = cache
        self.verifier = RepositoryVerifier(repositoryName: name.description, trustedMasterKeys: trustedMasterKeys)
        self.clock = clock
    }

    private var savedManifestPath: String { cache.directory.appending(path: "manifests/\(name).published").path }
    private var savedWhitelistPath: String { cache.directory.appending(path: "manifests/\(name).whitelist").path }

    /// The newest revision on the servers, or nil when it is the one given. Refuses a manifest older than the
    /// last one this machine accepted (a replayed old revision).
    func loadRevision(replacing current: RepositoryRevision?) throws -> RepositoryRevision? {
        let bytes = try servers.fetch(".cvmfspublished", limit: 1 << 16) { bytes in
            _ = try verifier.parseManifest(bytes)
        }
        let (manifest, document) = try verifier.parseManifest(bytes)
        if let current, current.manifest.rootCatalog == manifest.rootCatalog { return nil }
        if let saved = try? savedManifest(), manifest.publishedAt < saved.publishedAt {
            throw SoftwareError(
                .signature,
                "the server offers revision \(manifest.revision) of \(name), published before the revision this "
                    + "machine already uses (\(saved.revision)); refusing to go back")
        }
        let whitelist = try servers.fetch(".cvmfswhitelist", limit: 1 << 16) { _ in }
        try verify(manifest: manifest, document: document, whitelist: whitelist)
        let revision = try open(manifest)
        try AtomicFile.makeDirectory(cache.directory.appending(path: "manifests"), mode: 0o755)
        try AtomicFile.write(whitelist, to: URL(filePath: savedWhitelistPath))
        try AtomicFile.write(bytes, to: URL(filePath: savedManifestPath))
        return revision
    }

    /// The last revision this machine verified, from the cache alone: lets a mount start with every server down.
    func cachedRevision() throws -> RepositoryRevision {
        let bytes = try AtomicFile.read(savedManifestPath)
        let (manifest, document) = try verifier.parseManifest(bytes)
        try verify(manifest: manifest, document: document, whitelist: AtomicFile.read(savedWhitelistPath))
        return try open(manifest)
    }

    private func savedManifest() throws -> Manifest {
        try verifier.parseManifest(AtomicFile.read(savedManifestPath)).0
    }

    private func verify(manifest: Manifest, document: SignedDocument, whitelist: [UInt8]) throws {
        let certificate = try plainObject(manifest.certificate, .certificate)
        try verifier.verify(
            manifest: document, certificatePEM: certificate, whitelist: whitelist, now: clock())
    }

    private func open(_ manifest: Manifest) throws -> RepositoryRevision {
        let root = try loadCatalog(manifest.rootCatalog, mountpoint: [])
        let generation = generations.add(1, ordering: .relaxed).newValue
        return RepositoryRevision(manifest: manifest, generation: generation, root: root) { [self] reference in
            try loadCatalog(reference.hash, mountpoint: reference.path)
        }
    }

    private func loadCatalog(_ hash: ContentHash, mountpoint: [UInt8]) throws -> LoadedCatalog {
        let descriptor = try object(hash, .catalog, compressed: true)
        close(descriptor)
        return try LoadedCatalog(path: cache.path(of: Self.key(hash, .catalog)), mountpoint: mountpoint)
    }

    /// A small object's plain bytes (certificates), through the cache.
    private func plainObject(_ hash: ContentHash, _ kind: ObjectKind) throws -> [UInt8] {
        let descriptor = try object(hash, kind, compressed: true)
        defer { close(descriptor) }
        return try AtomicFile.read("/proc/self/fd/\(descriptor)")
    }

    /// A descriptor for an object's plain content: from the cache, or fetched, checked and inflated. Two threads
    /// asking for the same object (a reader and the prefetcher) fetch it once: the second waits for the first.
    /// `size` is the plain size when the catalog says it (0 when unknown).
    func object(_ hash: ContentHash, _ kind: ObjectKind, compressed: Bool, size: Int64 = 0, counted: Bool = true)
        throws -> Int32
    {
        let key = Self.key(hash, kind)
        if let descriptor = cache.open(key, counted: counted) { return descriptor }
        return try fetchLocks.withLock(for: key) {
            if let descriptor = cache.open(key, counted: false) { return descriptor }
            let fetched = try download(hash, kind, compressed: compressed, size: size)
            return try cache.insert(key, pieces: [fetched.plain], adler32: fetched.adler32)
        }
    }

    /// An object's plain bytes, and their Adler-32 for the cache's damage check.
    private struct Fetched {
        var plain: [UInt8]
        var adler32: UInt32
    }

    /// An object's plain bytes from the first server that has it intact.
    private func download(_ hash: ContentHash, _ kind: ObjectKind, compressed: Bool, size: Int64 = 0) throws
        -> Fetched
    {
        var fetched = Fetched(plain: [], adler32: 1)
        _ = try servers.fetch(hash.objectPath(kind)) { bytes in
            guard ContentHash.of(bytes, algorithm: hash.algorithm) == hash else {
                throw SoftwareError(.corrupt, "the object \(hash.objectPath(kind)) does not match its hash")
            }
            if compressed {
                let plain = try Zlib.decompress(bytes, expectedSize: Int(size))
                fetched = Fetched(plain: plain, adler32: Zlib.plainChecksum(ofInflated: bytes))
            } else {
                fetched = Fetched(plain: bytes, adler32: bytes.withUnsafeBytes { Zlib.adler32($0) })
            }
        }
        return fetched
    }

    /// A chunked file put back together in the cache, under a name derived from its chunk list. Its chunks are
    /// fetched in parallel; each is dropped once the whole file is stored.
    func assembledFile(_ chunks: [FileChunk], compressed: Bool, counted: Bool = true) throws -> Int32 {
        let listing = chunks.map { "\($0.offset):\($0.size):\($0.hash)" }.joined(separator: ",")
        let key = ContentHash.of(Array(listing.utf8), algorithm: .sha1).description + "-assembled"
        if let descriptor = cache.open(key, counted: counted) { return descriptor }
        return try assemblyLocks.withLock(for: key) {
            if let descriptor = cache.open(key, counted: false) { return descriptor }
            var offset: Int64 = 0
            for chunk in chunks {
                guard chunk.offset == offset, chunk.size >= 0 else {
                    throw SoftwareError(.corrupt, "the chunks of a file leave a gap or overlap at byte \(offset)")
                }
                offset += chunk.size
            }
            // Chunks go straight into the assembled file: caching them too would write every byte twice.
            let pieces = try ParallelWork.map(chunks, width: 8) { chunk in
                let piece = try self.download(chunk.hash, .chunk, compressed: compressed, size: chunk.size)
                guard piece.plain.count == chunk.size else {
                    throw SoftwareError(.corrupt, "a chunk of \(chunk.size) bytes holds \(piece.plain.count)")
                }
                return piece
            }
            let checksum = pieces.dropFirst().reduce(pieces.first?.adler32 ?? 1) {
                Zlib.adler32(combining: $0, $1.adler32, secondLength: $1.plain.count)
            }
            return try cache.insert(key, pieces: pieces.map(\.plain), adler32: checksum)
        }
    }

    static func key(_ hash: ContentHash, _ kind: ObjectKind) -> String { hash.description + kind.suffix }
}
