public import Foundation
import Synchronization

/// Publishes directory trees as revisions of one repository: stores changed files as objects, writes catalogs and
/// history, and switches the signed manifest last, so readers see either the old revision or the new one.
public struct Publisher: Sendable {
    public let storage: RepositoryStorage
    /// Keys (`<name>.masterkey`, `.pub`, `.key`, `.crt`), made on first use.
    public let keysDirectory: URL
    /// The publisher's own files: lock, stat cache, scratch space for catalogs.
    public let stateDirectory: URL
    let clock: @Sendable () -> Date

    public init(
        storage: RepositoryStorage, keysDirectory: URL, stateDirectory: URL,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.storage = storage
        self.keysDirectory = keysDirectory
        self.stateDirectory = stateDirectory
        self.clock = clock
    }

    var name: RepositoryName { storage.name }
    var workDirectory: URL { stateDirectory.appending(path: "\(name).work") }

    public func publish(
        _ options: PublishOptions, progress: @escaping @Sendable (PublishProgress) -> Void = { _ in }
    ) async throws -> PublishReport {
        let lock = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        let keys = try prepare()
        let previous = try currentManifest()
        let history = try HistoryFile.open(publisher: self, manifest: previous)
        if let tag = options.tag {
            try HistoryFile.validate(tagName: tag)
            if try history.tag(named: tag) != nil {
                throw SoftwareError(.invalidArgument, "the tag '\(tag)' exists already in \(name); choose another name")
            }
        }
        let tree = try SourceTree.scan(
            options.source.standardizedFileURL.path, extendedAttributes: options.extendedAttributes)
        let cache = try PublishCache(path: stateDirectory.appending(path: "\(name).publish-cache.sqlite").path)
        var stored: [Int: StoredFile] = [:]
        var changed: [Int] = []
        for index in tree.nodes.indices where tree.nodes[index].kind == .regular {
            let node = tree.nodes[index]
            if let known = cache.lookup(path: node.path, status: node.status, algorithm: options.algorithm),
                objectsExist(known)
            {
                stored[index] = known
            } else {
                changed.append(index)
            }
        }
        progress(.scanned(entries: tree.nodes.count, changedFiles: changed.count))
        let reused = stored.count
        let (hashed, bytes) = try await storeFiles(changed, of: tree, options: options, progress: progress)
        stored.merge(hashed) { _, new in new }
        progress(.writingCatalogs)
        let revision = (previous?.revision ?? 0) + 1
        let now = Int(clock().timeIntervalSince1970)
        var catalogs = CatalogBuilder(
            tree: tree, stored: stored, storage: storage, workDirectory: workDirectory, revision: revision,
            lastModified: now, algorithm: options.algorithm)
        let root = try catalogs.write(previousRoot: previous?.rootCatalog, timeToLive: options.timeToLive)
        try commit(
            root: root, revision: revision, now: now, keys: keys, history: history, previous: previous,
            tag: options.tag.map { ($0, options.tagDescription) })
        var records: [[UInt8]: PublishCache.Record] = [:]
        for (index, file) in stored {
            records[tree.nodes[index].path] = PublishCache.Record(
                stamp: tree.nodes[index].status.changeStamp, stored: file)
        }
        try cache.replaceAll(records)
        return PublishReport(
            revision: revision, rootCatalog: root.hash, entries: tree.nodes.count, catalogs: catalogs.count,
            filesHashed: hashed.count, bytesHashed: bytes, filesReused: reused)
    }

    func acquireLock() throws -> PublishLock {
        try AtomicFile.makeDirectory(stateDirectory, mode: 0o700)
        return try PublishLock(path: stateDirectory.appending(path: "\(name).lock").path, repository: name)
    }

    /// Keys, storage directories and a fresh scratch directory. Call with the lock held.
    func prepare() throws -> RepositoryKeys {
        let keys = try RepositoryKeys.loadOrCreate(directory: keysDirectory, repositoryName: name.description)
        try storage.create()
        try? FileManager.default.removeItem(at: workDirectory)
        try AtomicFile.makeDirectory(workDirectory, mode: 0o700)
        try removeStaleTransactions()
        return keys
    }

    /// The manifest now served, or nil for a repository without a revision yet.
    func currentManifest() throws -> Manifest? {
        guard let bytes = try storage.readManifest() else { return nil }
        let document = try SignedDocument(parsing: bytes, what: "manifest of \(name)")
        return try Manifest(body: String(decoding: document.body, as: UTF8.self))
    }

    /// Signs and writes history, certificate, whitelist (when due) and finally the manifest.
    func commit(
        root: CatalogBuilder.Written, revision: Int, now: Int, keys: RepositoryKeys, history: HistoryFile,
        previous: Manifest?, tag: (String, String)?
    ) throws {
        let historyHash = try history.record(
            root: root, revision: revision, now: now, previousHistory: previous?.history, tag: tag)
        let certificate = try storage.store(
            Zlib.compress(keys.certificate.pem, level: 6), kind: .certificate,
            algorithm: root.hash.algorithm)
        try renewWhitelistIfDue(keys: keys)
        let manifest = Manifest(
            rootCatalog: root.hash, rootCatalogSize: root.size, timeToLive: root.timeToLive, revision: revision,
            repositoryName: name.description, certificate: certificate, history: historyHash, publishedAt: now)
        try storage.writeManifest(keys.sign(manifest))
    }

    /// A whitelist is signed for 30 days; a publish renews it when fewer than 7 remain.
    func renewWhitelistIfDue(keys: RepositoryKeys) throws {
        let now = clock()
        if let bytes = try? AtomicFile.read(storage.whitelistPath),
            let document = try? SignedDocument(parsing: bytes, what: "whitelist"),
            let whitelist = try? Whitelist(body: String(decoding: document.body, as: UTF8.self)),
            whitelist.expiresAt.timeIntervalSince(now) > 7 * 86400
        {
            return
        }
        try storage.writeWhitelist(keys.signWhitelist(now: now))
    }

    private func objectsExist(_ file: StoredFile) -> Bool {
        if let hash = file.hash { return storage.contains(hash, .file) }
        return file.chunks.allSatisfy { storage.contains($0.hash, .chunk) }
    }

    /// Hashes and stores changed files on every core; returns what each became and the bytes read.
    private func storeFiles(
        _ indices: [Int], of tree: SourceTree, options: PublishOptions,
        progress: @escaping @Sendable (PublishProgress) -> Void
    ) async throws -> ([Int: StoredFile], Int64) {
        let writer = FileObjectWriter(
            storage: storage, algorithm: options.algorithm, compressionLevel: options.compressionLevel,
            chunking: options.chunking)
        let cursor = WorkCursor()
        let total = indices.count
        return try await withThrowingTaskGroup(of: [Int: StoredFile].self) { group in
            for _ in 0..<min(options.workers, max(1, total)) {
                group.addTask {
                    var results: [Int: StoredFile] = [:]
                    while let position = cursor.claim(below: total) {
                        try Task.checkCancellation()
                        let index = indices[position]
                        let size = tree.nodes[index].status.size
                        results[index] = try writer.store(path: tree.sourcePath(index), expectedSize: size)
                        let (done, bytes) = cursor.finished(bytes: size)
                        if done % 500 == 0 || done == total { progress(.hashed(files: done, of: total, bytes: bytes)) }
                    }
                    return results
                }
            }
            var merged: [Int: StoredFile] = [:]
            for try await partial in group { merged.merge(partial) { first, _ in first } }
            return (merged, cursor.bytes)
        }
    }

    /// Temporary objects of a publish that was killed; safe to drop because the lock is held.
    private func removeStaleTransactions() throws {
        let directory = storage.transactionDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names { unlink(directory + "/" + name) }
    }
}

/// Hands out work items to the publisher's workers and counts what they finished.
private final class WorkCursor: Sendable {
    private let state = Mutex((next: 0, done: 0, bytes: Int64(0)))

    func claim(below total: Int) -> Int? {
        state.withLock { state in
            guard state.next < total else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func finished(bytes: Int64) -> (Int, Int64) {
        state.withLock { state in
            state.done += 1
            state.bytes += bytes
            return (state.done, state.bytes)
        }
    }

    var bytes: Int64 { state.withLock { $0.bytes } }
}
