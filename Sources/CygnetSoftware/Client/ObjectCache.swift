import CLinux
public import Foundation
import Synchronization

/// The local cache of fetched objects, shared by every mount on the machine (also across processes): files are
/// stored inflated, so a cached read is a plain `pread` at local-disk speed. An index in SQLite keeps sizes and
/// last use; when the quota is exceeded the least recently used objects go. Evicting a file that is open is
/// harmless (its descriptor stays valid), so nothing needs pinning.
///
/// The index also keeps a checksum of each object's plain bytes (Adler-32, which fetching yields for free from
/// the zlib trailer; caches made before kept SHA-1): the first time a mount opens an object it did not fetch
/// itself, the file is summed again, and one that changed on disk is dropped and fetched anew.
public final class ObjectCache: Sendable {
    public let directory: URL
    public let quota: Int64
    private let index: Mutex<CacheIndex>
    private let pendingAccess = Mutex<[String: Int64]>([:])
    private let counters = Mutex((hits: 0, misses: 0, bytesFetched: Int64(0), dropped: 0))
    /// Objects this process fetched or checked: not hashed again.
    private let verified = Mutex<Set<String>>([])

    public init(directory: URL, quota: Int64) throws {
        self.directory = directory
        self.quota = quota
        try AtomicFile.makeDirectory(directory.appending(path: "objects"), mode: 0o755)
        try AtomicFile.makeDirectory(directory.appending(path: "incoming"), mode: 0o700)
        index = Mutex(try CacheIndex(path: directory.appending(path: "index.sqlite").path))
    }

    /// Whether an object is cached, without opening it.
    func contains(_ key: String) -> Bool { access(path(of: key), F_OK) == 0 }

    func path(of key: String) -> String {
        directory.appending(path: "objects/\(key.prefix(2))/\(key.dropFirst(2))").path
    }

    /// A read-only descriptor of a cached object, or nil on a miss. `counted` is false for look-ups that are
    /// not a reader's (prefetching, a second look after waiting for another thread's fetch).
    func open(_ key: String, counted: Bool = true) -> Int32? {
        let descriptor = Foundation.open(path(of: key), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, isIntact(key, descriptor: descriptor) else {
            if counted { counters.withLock { $0.misses += 1 } }
            return nil
        }
        if counted { counters.withLock { $0.hits += 1 } }
        let now = Int64(Date().timeIntervalSince1970)
        pendingAccess.withLock { $0[key] = now }
        return descriptor
    }

    /// Checks a cached object once per process against the digest recorded when it was stored; a damaged one is
    /// removed (and its descriptor closed), so the caller fetches it again.
    private func isIntact(_ key: String, descriptor: Int32) -> Bool {
        guard !verified.withLock({ $0.contains(key) }) else { return true }
        guard let expected = try? index.withLock({ try $0.digest(of: key) }),
            let actual = try? Self.digest(of: descriptor, like: expected), actual != expected
        else {
            verified.withLock { _ = $0.insert(key) }
            return true
        }
        close(descriptor)
        unlink(path(of: key))
        try? index.withLock { try $0.remove([key]) }
        counters.withLock { $0.dropped += 1 }
        return false
    }

    /// The file's checksum of the same kind as `recorded`: Adler-32 (4 bytes) or, in older caches, SHA-1.
    private static func digest(of descriptor: Int32, like recorded: [UInt8]) throws -> [UInt8] {
        let hasher = recorded.count == 4 ? nil : ContentHasher(.sha1)
        var adler32: UInt32 = 1
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        var offset = 0
        while true {
            let count = pread(descriptor, block.baseAddress, block.count, off_t(offset))
            guard count >= 0 else { throw SoftwareError.system("cannot read a cached object", errno: errno) }
            if count == 0 { return hasher?.finalize().digest ?? bigEndianBytes(adler32) }
            let piece = UnsafeRawBufferPointer(rebasing: block[0..<count])
            if let hasher { hasher.update(piece) } else { adler32 = Zlib.adler32(piece, continuing: adler32) }
            offset += count
        }
    }

    private static func bigEndianBytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// Stores an object's plain bytes, given as consecutive pieces (the chunks of a large file, not joined
    /// first) with the Adler-32 of them all, and returns a descriptor for reading them. When the disk is full it
    /// evicts and retries; when even that fails it keeps the bytes in memory, so a read it can serve never fails.
    func insert(_ key: String, pieces: [[UInt8]], adler32: UInt32) throws -> Int32 {
        let size = pieces.reduce(Int64(0)) { $0 + Int64($1.count) }
        counters.withLock { $0.bytesFetched += size }
        let digest = Self.bigEndianBytes(adler32)
        verified.withLock { _ = $0.insert(key) }
        for attempt in 0..<3 {
            do {
                try write(key, pieces: pieces)
                try record(key, size: size, digest: digest)
                let descriptor = Foundation.open(path(of: key), O_RDONLY | O_CLOEXEC)
                if descriptor >= 0 { return descriptor }
            } catch let error as SoftwareError where error.code == .io && attempt < 2 {
                try evict(target: quota / 2)
            } catch {
                break
            }
        }
        return try Self.memoryFile(pieces, name: key)
    }

    /// Writes the pieces under `key` through a temporary file, so a crash never leaves half an object.
    private func write(_ key: String, pieces: [[UInt8]]) throws {
        let destination = path(of: key)
        let parent = (destination as NSString).deletingLastPathComponent
        if access(parent, F_OK) != 0 { mkdir(parent, 0o755) }
        let temporary = try TemporaryObject(directory: directory.appending(path: "incoming").path)
        for piece in pieces { try temporary.write(piece) }
        try temporary.commit(to: destination)
    }

    private func record(_ key: String, size: Int64, digest: [UInt8]) throws {
        let now = Int64(Date().timeIntervalSince1970)
        // The total is summed from the index only every 256 inserts (other mounts add to it too); in between
        // this mount's own additions are counted on top, which is what keeps an insert cheap.
        let total = try index.withLock { index in
            try index.add(key: key, size: size, lastAccess: now, digest: digest)
            return try index.estimatedTotal(adding: size)
        }
        if total > quota { try evict(target: quota * 3 / 4) }
    }

    /// Drops least recently used objects until the cache holds at most `target` bytes.
    func evict(target: Int64) throws {
        try flushAccessTimes()
        let victims = try index.withLock { index in try index.oldest(untilTotalIsAtMost: target) }
        for key in victims { unlink(path(of: key)) }
        try index.withLock { index in
            try index.remove(victims)
            index.forgetEstimate()
        }
    }

    /// Writes buffered last-use times to the index (called on eviction and now and then by the mount).
    func flushAccessTimes() throws {
        let pending = pendingAccess.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !pending.isEmpty else { return }
        try index.withLock { index in try index.touch(pending) }
    }

    public struct Usage: Sendable {
        public var bytes: Int64
        public var objects: Int
        public var hits: Int
        public var misses: Int
        public var bytesFetched: Int64
        /// Cached objects found damaged and fetched again.
        public var dropped: Int
    }

    public func usage() throws -> Usage {
        let (bytes, objects) = try index.withLock { index in (try index.totalSize(), try index.count()) }
        let (hits, misses, fetched, dropped) = counters.withLock { ($0.hits, $0.misses, $0.bytesFetched, $0.dropped) }
        return Usage(
            bytes: bytes, objects: objects, hits: hits, misses: misses, bytesFetched: fetched, dropped: dropped)
    }

    private static func memoryFile(_ pieces: [[UInt8]], name: String) throws -> Int32 {
        let descriptor = cygnet_memfd_create("cygnet-\(name.prefix(40))", 1)  // MFD_CLOEXEC
        guard descriptor >= 0 else { throw SoftwareError.system("cannot keep an object in memory", errno: errno) }
        do {
            for piece in pieces { try AtomicFile.writeAll(descriptor, piece, path: "memory object \(name)") }
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }
}

/// The cache's index: one row per object with its size and last use. Shared between processes (WAL).
final class CacheIndex {
    private let database: SQLiteDatabase
    private var estimate: (total: Int64, inserts: Int)?
    /// Prepared once: an insert and a digest look-up happen for every object fetched or first opened.
    private let insertObject: SQLiteStatement
    private let selectDigest: SQLiteStatement

    init(path: String) throws {
        database = try SQLiteDatabase(path: path, readOnly: false)
        try database.execute(
            """
            PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, size INTEGER NOT NULL,
              last_access INTEGER NOT NULL, digest BLOB);
            CREATE INDEX IF NOT EXISTS objects_by_access ON objects (last_access);
            """)
        // Caches made before digests were kept; fails harmlessly when the column exists.
        try? database.execute("ALTER TABLE objects ADD COLUMN digest BLOB")
        insertObject = try database.prepare(
            "INSERT OR REPLACE INTO objects (key, size, last_access, digest) VALUES (?, ?, ?, ?)")
        selectDigest = try database.prepare("SELECT digest FROM objects WHERE key = ?")
    }

    func add(key: String, size: Int64, lastAccess: Int64, digest: [UInt8]) throws {
        try insertObject.run([.text(key), .integer(size), .integer(lastAccess), .blob(digest)])
    }

    /// The checksum of the object's plain bytes as stored (Adler-32, or SHA-1 in older caches), if recorded.
    func digest(of key: String) throws -> [UInt8]? {
        try selectDigest.bind([.text(key)])
        defer { selectDigest.reset() }
        guard try selectDigest.step(), !selectDigest.isNull(0) else { return nil }
        return selectDigest.bytes(0)
    }

    func touch(_ times: [String: Int64]) throws {
        try database.execute("BEGIN IMMEDIATE")
        let update = try database.prepare("UPDATE objects SET last_access = max(last_access, ?) WHERE key = ?")
        for (key, time) in times { try update.run([.integer(time), .text(key)]) }
        try database.execute("COMMIT")
    }

    /// The total after adding `size`: summed afresh now and then, counted up in between.
    func estimatedTotal(adding size: Int64) throws -> Int64 {
        if var estimate, estimate.inserts < 256 {
            estimate.total += size
            estimate.inserts += 1
            self.estimate = estimate
            return estimate.total
        }
        let total = try totalSize()
        estimate = (total, 0)
        return total
    }

    func forgetEstimate() { estimate = nil }

    func totalSize() throws -> Int64 {
        let statement = try database.prepare("SELECT coalesce(sum(size), 0) FROM objects")
        try statement.bind([])
        return try statement.step() ? statement.integer(0) : 0
    }

    func count() throws -> Int {
        let statement = try database.prepare("SELECT count(*) FROM objects")
        try statement.bind([])
        return try statement.step() ? Int(statement.integer(0)) : 0
    }

    func oldest(untilTotalIsAtMost target: Int64) throws -> [String] {
        var excess = try totalSize() - target
        guard excess > 0 else { return [] }
        let statement = try database.prepare("SELECT key, size FROM objects ORDER BY last_access, key")
        try statement.bind([])
        var victims: [String] = []
        while excess > 0, try statement.step() {
            victims.append(statement.text(0))
            excess -= statement.integer(1)
        }
        return victims
    }

    func remove(_ keys: [String]) throws {
        try database.execute("BEGIN IMMEDIATE")
        let delete = try database.prepare("DELETE FROM objects WHERE key = ?")
        for key in keys { try delete.run([.text(key)]) }
        try database.execute("COMMIT")
    }
}
