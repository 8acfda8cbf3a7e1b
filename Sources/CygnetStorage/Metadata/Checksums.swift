/// The checksums known for a file's content, as clients name them (`SHA1:…`, `MD5:…`, `ADLER32:…`), valid for the
/// content with `modified` and `size` only: a session that rewrites the file makes them stale.
public struct Checksums: Sendable, Equatable {
    public var sha1: String?
    public var md5: String?
    public var adler32: String?
    public var modified: Int64
    public var size: Int64

    public init(sha1: String?, md5: String?, adler32: String?, modified: Int64, size: Int64) {
        self.sha1 = sha1
        self.md5 = md5
        self.adler32 = adler32
        self.modified = modified
        self.size = size
    }

    func isValid(for entry: FileEntry) -> Bool {
        entry.modified == modified && entry.size == size
    }

    /// `SHA1:… MD5:… ADLER32:…`, for `oc:checksums` and the `OC-Checksum` header.
    public var listing: String {
        [sha1.map { "SHA1:" + $0 }, md5.map { "MD5:" + $0 }, adler32.map { "ADLER32:" + $0 }]
            .compactMap { $0 }.joined(separator: " ")
    }

    /// The first checksum, as `OC-Checksum` carries one.
    public var header: String? {
        sha1.map { "SHA1:" + $0 } ?? md5.map { "MD5:" + $0 } ?? adler32.map { "ADLER32:" + $0 }
    }
}

/// What the index knows of one path.
public struct FileRecord: Sendable, Equatable {
    public var id: Int64
    public var inode: UInt64
    public var checksums: Checksums?
}
