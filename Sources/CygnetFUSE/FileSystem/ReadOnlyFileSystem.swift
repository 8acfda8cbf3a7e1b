/// A read-only, inode-based file system that ``FUSEMount`` serves through the kernel's FUSE low-level protocol.
///
/// Every method is called on one of libfuse's worker threads, possibly several at once, and may block (a
/// catalog query, a download): FUSE callbacks never run on the Swift cooperative pool. Inode 1 is the root.
/// Answers are cached by the kernel for as long as their timeouts say, so a repository that changes revision
/// must call ``FUSEMount/invalidateInode(_:)`` and ``FUSEMount/invalidateEntry(parent:name:)``.
///
/// Errors are plain errnos (``FUSEError``): a lookup that throws ``FUSEError/noSuchFileOrDirectory`` is
/// answered with a negative entry the kernel caches for ``FUSEMountOptions/negativeEntryTimeout``.
public protocol ReadOnlyFileSystem: Sendable {
    /// The entry called `name` (raw bytes, never "." or "..") in the directory `parent`.
    func lookup(parent: UInt64, name: [UInt8]) throws(FUSEError) -> FUSEEntry

    /// The attributes of `inode` and how long the kernel may cache them.
    func attributes(of inode: UInt64) throws(FUSEError) -> FUSEAttributeReply

    /// The target of the symbolic link `inode`.
    func readLink(_ inode: UInt64) throws(FUSEError) -> [UInt8]

    /// The whole listing of the directory `inode`, in a stable order.
    ///
    /// Called once per open directory handle, at its first read (not at `opendir`), and the wrapper pages the
    /// kernel's reads out of it; when the kernel already caches the listing it is not called at all. The
    /// wrapper neither adds nor removes "." and "..": include them first if `ls -a` should show them (the
    /// kernel itself needs neither). Each entry's attributes answer `readdirplus`, which saves the kernel a
    /// lookup per entry.
    func listDirectory(_ inode: UInt64) throws(FUSEError) -> [FUSEDirectoryEntry]

    /// Opens the regular file `inode` for reading: the wrapper answers reads from the returned descriptor.
    ///
    /// The file system owns the descriptor: the wrapper never closes it, and hands the same value back to
    /// ``release(_:file:)`` exactly once, after the kernel's last use. So a file system may share one
    /// descriptor between opens of the same object.
    func open(_ inode: UInt64) throws(FUSEError) -> FUSEOpenFile

    /// The kernel has closed its last reference to `file`; the file system may now close its descriptor.
    func release(_ inode: UInt64, file: FUSEOpenFile)

    /// The value of the extended attribute `name`; throw ``FUSEError/noData`` when `inode` has none.
    func extendedAttribute(_ inode: UInt64, name: [UInt8]) throws(FUSEError) -> [UInt8]

    /// The names of the extended attributes of `inode`.
    func extendedAttributeNames(_ inode: UInt64) throws(FUSEError) -> [[UInt8]]

    /// The kernel dropped `lookups` references to `inode` (each answered lookup or `readdirplus` entry is one).
    func forget(_ inode: UInt64, lookups: UInt64)

    /// Sizes for `statfs` (`df`).
    func statistics() -> FUSEFileSystemStatistics
}

extension ReadOnlyFileSystem {
    public func extendedAttribute(_ inode: UInt64, name: [UInt8]) throws(FUSEError) -> [UInt8] {
        throw .noData
    }

    public func extendedAttributeNames(_ inode: UInt64) throws(FUSEError) -> [[UInt8]] {
        []
    }

    /// Does nothing: a repository's inodes stay valid for the life of the mount.
    public func forget(_ inode: UInt64, lookups: UInt64) {}

    public func statistics() -> FUSEFileSystemStatistics {
        FUSEFileSystemStatistics()
    }
}
