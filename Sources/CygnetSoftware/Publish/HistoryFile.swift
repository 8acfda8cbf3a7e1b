import Foundation

/// The history database of the revision being made: copied from the current revision's `H` object (or new),
/// given this revision's tags, then stored as the next `H` object.
struct HistoryFile {
    let database: HistoryDatabase
    let path: String
    let storage: RepositoryStorage
    let algorithm: HashAlgorithm

    static func open(publisher: Publisher, manifest: Manifest?) throws -> HistoryFile {
        let path = publisher.workDirectory.appending(path: "history.sqlite").path
        let algorithm = manifest?.rootCatalog.algorithm ?? .sha1
        if let hash = manifest?.history {
            let bytes = try Zlib.decompress(publisher.storage.load(hash, .history))
            try AtomicFile.write(bytes, to: URL(filePath: path), mode: 0o600)
            let database = try HistoryDatabase(path: path, repositoryName: publisher.name.description, create: false)
            return HistoryFile(database: database, path: path, storage: publisher.storage, algorithm: algorithm)
        }
        let database = try HistoryDatabase(path: path, repositoryName: publisher.name.description, create: true)
        return HistoryFile(database: database, path: path, storage: publisher.storage, algorithm: algorithm)
    }

    /// Tag names people give: letters, digits, '.', '-', '_' (they appear in commands and URLs).
    static func validate(tagName: String) throws {
        let allowed = tagName.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        guard !tagName.isEmpty, tagName.count <= 100, allowed, tagName != "trunk", tagName != "trunk-previous",
            !tagName.hasPrefix("generic-")
        else {
            throw SoftwareError(
                .invalidArgument,
                "'\(tagName)' cannot be a tag: use letters, digits, '.', '-' and '_' (not 'trunk' or 'generic-…')")
        }
    }

    func tag(named name: String) throws -> RepositoryTag? { try database.tag(named: name) }

    func tags() throws -> [RepositoryTag] { try database.tags() }

    /// Adds trunk, trunk-previous, an automatic `generic-<time>` tag and the person's tag; stores the database.
    func record(
        root: CatalogBuilder.Written, revision: Int, now: Int, previousHistory: ContentHash?, tag: (String, String)?
    ) throws -> ContentHash {
        if var trunk = try database.tag(named: "trunk") {
            trunk.name = "trunk-previous"
            trunk.description = "default undo target"
            try database.setTag(trunk)
        }
        func make(_ name: String, _ description: String) -> RepositoryTag {
            RepositoryTag(
                name: name, rootCatalog: root.hash, revision: revision, timestamp: now, description: description,
                size: Int64(root.size))
        }
        try database.setTag(make("trunk", "current HEAD"))
        try database.setTag(make("generic-" + Self.isoTime(now) + "-r\(revision)", ""))
        if let (name, description) = tag { try database.setTag(make(name, description)) }
        try database.setProperty("previous_revision", previousHistory?.description ?? String(repeating: "0", count: 40))
        return try store()
    }

    func store() throws -> ContentHash {
        let bytes = try AtomicFile.read(path)
        return try storage.store(Zlib.compress(bytes, level: 6), kind: .history, algorithm: algorithm)
    }

    static func isoTime(_ seconds: Int) -> String {
        let stamp = Whitelist.timestamp(Date(timeIntervalSince1970: Double(seconds)))
        let digits = Array(stamp)
        return "\(String(digits[0..<4]))-\(String(digits[4..<6]))-\(String(digits[6..<8]))T"
            + "\(String(digits[8..<10])):\(String(digits[10..<12])):\(String(digits[12..<14]))Z"
    }
}
