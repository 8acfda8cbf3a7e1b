import Synchronization

/// One open directory: its listing, fetched from the file system at the first read and paged from there.
///
/// Fetching lazily means an `opendir` the kernel answers from its own listing cache costs the file system
/// nothing. The listing is fixed for the handle's life, so paging stays consistent even if the repository
/// changes revision meanwhile (offsets are indices into it).
final class DirectoryHandle: Sendable {
    let inode: UInt64
    private let listing = Mutex<[FUSEDirectoryEntry]?>(nil)

    init(inode: UInt64) {
        self.inode = inode
    }

    /// The listing, fetched once; a failed fetch is retried by the next read.
    func entries(from fileSystem: any ReadOnlyFileSystem) throws(FUSEError) -> [FUSEDirectoryEntry] {
        try listing.withLock { listing throws(FUSEError) in
            if let listing { return listing }
            let entries = try fileSystem.listDirectory(inode)
            listing = entries
            return entries
        }
    }
}
