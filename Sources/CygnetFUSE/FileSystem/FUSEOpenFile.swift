/// An open regular file: the local descriptor the wrapper reads from, and whether the kernel may keep the
/// file's cached pages from a previous open.
///
/// The file system that returned it owns `descriptor` (see ``ReadOnlyFileSystem/open(_:)``); it must stay open
/// and positioned reads (`pread`) must work on it until ``ReadOnlyFileSystem/release(_:file:)``.
public struct FUSEOpenFile: Hashable, Sendable {
    public var descriptor: Int32
    /// `FOPEN_KEEP_CACHE`: content addressed by hash never changes, so the page cache stays valid across opens.
    public var keepCache: Bool

    public init(descriptor: Int32, keepCache: Bool = true) {
        self.descriptor = descriptor
        self.keepCache = keepCache
    }
}
