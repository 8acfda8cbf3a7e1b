/// One row of a catalog: a directory, file, symlink or special file, with what the client needs to show it.
public struct CatalogEntry: Sendable, Equatable {
    public var name: [UInt8]
    public var mode: UInt32
    public var size: Int64
    public var mtime: Int64
    public var flags: CatalogFlags
    /// Raw digest of the file's object; nil for directories, links, specials and chunked files.
    public var hash: ContentHash?
    public var symlink: [UInt8]
    public var uid: UInt32
    public var gid: UInt32
    /// Link count (directories: 2 + subdirectories); hard links are split on publish, so files have 1.
    public var linkCount: UInt32
    public var extendedAttributes: ExtendedAttributes?

    public init(
        name: [UInt8], mode: UInt32, size: Int64 = 0, mtime: Int64 = 0, flags: CatalogFlags, hash: ContentHash? = nil,
        symlink: [UInt8] = [], uid: UInt32 = 0, gid: UInt32 = 0, linkCount: UInt32 = 1,
        extendedAttributes: ExtendedAttributes? = nil
    ) {
        self.name = name
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.flags = flags
        self.hash = hash
        self.symlink = symlink
        self.uid = uid
        self.gid = gid
        self.linkCount = linkCount
        self.extendedAttributes = extendedAttributes
    }

    public var isDirectory: Bool { flags.contains(.directory) }
    public var isSymlink: Bool { flags.contains(.link) }
    public var isChunked: Bool { flags.contains(.chunked) }
}

/// One piece of a chunked file: where it sits in the plain file and the object that holds it.
public struct FileChunk: Sendable, Equatable {
    public var offset: Int64
    public var size: Int64
    public var hash: ContentHash

    public init(offset: Int64, size: Int64, hash: ContentHash) {
        self.offset = offset
        self.size = size
        self.hash = hash
    }
}

/// A nested catalog as its parent lists it.
public struct NestedCatalogReference: Sendable, Equatable {
    public var path: [UInt8]
    public var hash: ContentHash
    public var size: Int64
}
