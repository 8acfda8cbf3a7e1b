import Foundation

extension Publisher {
    /// The repository's tags, newest first (without the automatic `generic-…` ones unless asked).
    public func tags(includeAutomatic: Bool = false) throws -> [RepositoryTag] {
        let lock = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        let manifest = try requireManifest()
        _ = try prepare()
        let history = try HistoryFile.open(publisher: self, manifest: manifest)
        return try history.tags().filter { includeAutomatic || !$0.name.hasPrefix("generic-") }
    }

    /// Makes the tagged revision current again, as a new revision (clients only move forward).
    @discardableResult
    public func rollback(to tagName: String) throws -> Int {
        let lock = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        let manifest = try requireManifest()
        let keys = try prepare()
        let history = try HistoryFile.open(publisher: self, manifest: manifest)
        guard let tag = try history.tag(named: tagName) else {
            let names = try history.tags().filter { !$0.isAutomatic }.map(\.name)
            throw SoftwareError(
                .notFound,
                "\(name) has no tag '\(tagName)'"
                    + (names.isEmpty ? "; it has no tags yet" : "; its tags are: \(names.joined(separator: ", "))"))
        }
        let revision = manifest.revision + 1
        let now = Int(clock().timeIntervalSince1970)
        let root = try reissue(tag.rootCatalog, revision: revision, now: now, previous: manifest.rootCatalog)
        try commit(root: root, revision: revision, now: now, keys: keys, history: history, previous: manifest, tag: nil)
        return revision
    }

    /// Signs a new whitelist valid for `days` (clients refuse a repository whose whitelist expired).
    public func resignWhitelist(days: Int) throws {
        guard (1...365).contains(days) else {
            throw SoftwareError(.invalidArgument, "a whitelist can be valid for 1 to 365 days, not \(days)")
        }
        let lock = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        _ = try requireManifest()
        let keys = try prepare()
        try storage.writeWhitelist(keys.signWhitelist(now: clock(), days: days))
    }

    /// Called before `prepare()`, so a mistyped repository name makes no keys or folders.
    func requireManifest() throws -> Manifest {
        guard let manifest = try currentManifest() else {
            throw SoftwareError(.notFound, "\(name) has no published revision yet; run 'cygnet-software publish' first")
        }
        return manifest
    }

    /// A copy of an old root catalog with a new revision number, stored as a new object.
    private func reissue(_ hash: ContentHash, revision: Int, now: Int, previous: ContentHash) throws
        -> CatalogBuilder.Written
    {
        let file = workDirectory.appending(path: "rollback.sqlite").path
        defer { unlink(file) }
        try AtomicFile.write(Zlib.decompress(storage.load(hash, .catalog)), to: URL(filePath: file), mode: 0o600)
        var timeToLive = 240
        do {
            let database = try SQLiteDatabase(path: file, readOnly: false)
            let update = try database.prepare("INSERT OR REPLACE INTO properties (key, value) VALUES (?, ?)")
            try update.run([.text("revision"), .text("\(revision)")])
            try update.run([.text("last_modified"), .text("\(now)")])
            try update.run([.text("previous_revision"), .text(previous.description)])
            let select = try database.prepare("SELECT value FROM properties WHERE key = 'TTL'")
            try select.bind([])
            if try select.step(), let value = Int(select.text(0)) { timeToLive = value }
        }
        let bytes = try AtomicFile.read(file)
        let stored = try storage.store(Zlib.compress(bytes, level: 6), kind: .catalog, algorithm: hash.algorithm)
        return CatalogBuilder.Written(hash: stored, size: bytes.count, timeToLive: timeToLive, statistics: .init())
    }
}
