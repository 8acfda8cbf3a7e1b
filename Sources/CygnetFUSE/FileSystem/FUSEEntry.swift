/// A name resolved to an inode, the answer to `lookup`, with how long the kernel may cache the name
/// (`entryTimeout`) and the attributes (`attributeTimeout`). For a repository at a fixed revision both may be
/// long: a revision switch invalidates explicitly.
public struct FUSEEntry: Hashable, Sendable {
    public var attributes: FUSEAttributes
    /// Tells apart two lives of the same inode number; a repository that never reuses numbers keeps 0.
    public var generation: UInt64
    /// Seconds.
    public var entryTimeout: Double
    /// Seconds.
    public var attributeTimeout: Double

    /// The inode the name resolves to, taken from the attributes so the two cannot disagree.
    public var inode: UInt64 { attributes.inode }

    public init(attributes: FUSEAttributes, generation: UInt64 = 0, entryTimeout: Double, attributeTimeout: Double) {
        self.attributes = attributes
        self.generation = generation
        self.entryTimeout = entryTimeout
        self.attributeTimeout = attributeTimeout
    }
}

/// One name in a directory listing. The full entry lets the wrapper answer `readdirplus`, which fills the
/// kernel's name and attribute caches for the whole directory at once (what `ls -l` and Python's import
/// machinery want next).
public struct FUSEDirectoryEntry: Hashable, Sendable {
    /// Raw bytes, without a terminating NUL.
    public var name: [UInt8]
    public var entry: FUSEEntry

    public init(name: [UInt8], entry: FUSEEntry) {
        self.name = name
        self.entry = entry
    }
}
