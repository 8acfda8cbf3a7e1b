import Foundation

/// A named revision in a repository's history.
public struct RepositoryTag: Sendable, Equatable {
    public var name: String
    public var rootCatalog: ContentHash
    public var revision: Int
    public var timestamp: Int
    public var description: String
    public var size: Int64

    public init(
        name: String, rootCatalog: ContentHash, revision: Int, timestamp: Int, description: String, size: Int64
    ) {
        self.name = name
        self.rootCatalog = rootCatalog
        self.revision = revision
        self.timestamp = timestamp
        self.description = description
        self.size = size
    }

    /// Tags the publisher keeps by itself; people's tags are everything else.
    public var isAutomatic: Bool { name == "trunk" || name == "trunk-previous" || name.hasPrefix("generic-") }
}

/// The history database (`H` object): tags over root catalogs, schema 1.0 revision 3.
final class HistoryDatabase {
    private let database: SQLiteDatabase

    private static let schema = """
        CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER, channel INTEGER,
          description TEXT, size INTEGER, branch TEXT, CONSTRAINT pk_tags PRIMARY KEY (name));
        CREATE INDEX idx_revision ON tags (revision);
        CREATE TABLE branches (branch TEXT, parent TEXT, initial_revision INTEGER,
          CONSTRAINT pk_branch PRIMARY KEY (branch));
        CREATE TABLE recycle_bin (hash TEXT, flags INTEGER, CONSTRAINT pk_hash PRIMARY KEY (hash));
        CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));
        INSERT INTO branches (branch, parent, initial_revision) VALUES ('', NULL, 0);
        INSERT INTO properties (key, value) VALUES ('schema', '1.0'), ('schema_revision', '3');
        """

    /// Opens an existing history file (read-write, for a new revision) or creates an empty one.
    init(path: String, repositoryName: String, create: Bool) throws {
        if create { unlink(path) }
        database = try SQLiteDatabase(path: path, readOnly: false)
        if create {
            try database.execute("PRAGMA journal_mode=OFF;")
            try database.execute(Self.schema)
            try setProperty("fqrn", repositoryName)
        }
    }

    func setProperty(_ key: String, _ value: String) throws {
        try database.prepare("INSERT OR REPLACE INTO properties (key, value) VALUES (?, ?)")
            .run([.text(key), .text(value)])
    }

    func tags() throws -> [RepositoryTag] {
        let statement = try database.prepare(
            "SELECT name, hash, revision, timestamp, description, size FROM tags ORDER BY revision DESC, name")
        try statement.bind([])
        var tags: [RepositoryTag] = []
        while try statement.step() {
            guard let hash = ContentHash(statement.text(1)) else { continue }
            tags.append(
                RepositoryTag(
                    name: statement.text(0), rootCatalog: hash, revision: Int(statement.integer(2)),
                    timestamp: Int(statement.integer(3)), description: statement.text(4), size: statement.integer(5)))
        }
        return tags
    }

    func tag(named name: String) throws -> RepositoryTag? { try tags().first { $0.name == name } }

    func setTag(_ tag: RepositoryTag) throws {
        try database.prepare(
            "INSERT OR REPLACE INTO tags (name, hash, revision, timestamp, channel, description, size, branch) "
                + "VALUES (?, ?, ?, ?, 0, ?, ?, '')"
        ).run([
            .text(tag.name), .text(tag.rootCatalog.description), .int(tag.revision), .int(tag.timestamp),
            .text(tag.description), .integer(tag.size),
        ])
    }

    func removeTag(named name: String) throws {
        try database.prepare("DELETE FROM tags WHERE name = ?").run([.text(name)])
    }
}
