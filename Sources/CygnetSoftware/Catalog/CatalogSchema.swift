/// The catalog schema 2.5 (revision 6), as the reference publisher creates it.
enum CatalogSchema {
    static let version = "2.5"
    static let revision = "6"

    static let create = """
        CREATE TABLE catalog (md5path_1 INTEGER, md5path_2 INTEGER, parent_1 INTEGER, parent_2 INTEGER,
          hardlinks INTEGER, hash BLOB, size INTEGER, mode INTEGER, mtime INTEGER, flags INTEGER, name TEXT,
          symlink TEXT, uid INTEGER, gid INTEGER, xattr BLOB,
          CONSTRAINT pk_catalog PRIMARY KEY (md5path_1, md5path_2));
        CREATE INDEX idx_catalog_parent ON catalog (parent_1, parent_2);
        CREATE TABLE chunks (md5path_1 INTEGER, md5path_2 INTEGER, offset INTEGER, size INTEGER, hash BLOB,
          CONSTRAINT pk_chunks PRIMARY KEY (md5path_1, md5path_2, offset, size));
        CREATE TABLE nested_catalogs (path TEXT, sha1 TEXT, size INTEGER,
          CONSTRAINT pk_nested_catalogs PRIMARY KEY (path));
        CREATE TABLE bind_mountpoints (path TEXT, sha1 TEXT, size INTEGER,
          CONSTRAINT pk_bind_mountpoints PRIMARY KEY (path));
        CREATE TABLE statistics (counter TEXT, value INTEGER, CONSTRAINT pk_statistics PRIMARY KEY (counter));
        CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));
        """

    static let counters = [
        "regular", "dir", "symlink", "special", "nested", "chunked", "chunked_size", "chunks", "file_size", "xattr",
        "external", "external_file_size",
    ]
}

/// The `statistics` counters of one catalog.
public struct CatalogStatistics: Sendable, Equatable {
    public var values: [String: Int64] = [:]

    public init() {}

    mutating func count(_ entry: CatalogEntry, chunks: Int) {
        if entry.isDirectory {
            values["dir", default: 0] += 1
        } else if entry.isSymlink {
            values["symlink", default: 0] += 1
        } else if entry.flags.contains(.special) {
            values["special", default: 0] += 1
        } else {
            values["regular", default: 0] += 1
            values["file_size", default: 0] += entry.size
            if entry.isChunked {
                values["chunked", default: 0] += 1
                values["chunked_size", default: 0] += entry.size
                values["chunks", default: 0] += Int64(chunks)
            }
        }
        if entry.extendedAttributes != nil { values["xattr", default: 0] += 1 }
    }

    static func + (lhs: CatalogStatistics, rhs: CatalogStatistics) -> CatalogStatistics {
        var sum = lhs
        sum.values.merge(rhs.values, uniquingKeysWith: +)
        return sum
    }

    public subscript(counter: String) -> Int64 { values[counter] ?? 0 }
}
