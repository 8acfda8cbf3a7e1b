/// How ``FUSEMount`` mounts and serves a file system. The mount is always read-only (`-o ro`): writes fail
/// with `EROFS` in the kernel, before they reach us.
public struct FUSEMountOptions: Hashable, Sendable {
    /// The source column of `/proc/mounts` and `df`, such as the repository name.
    public var fileSystemName: String
    /// The type is shown as `fuse.<subtype>`.
    public var subtype: String
    /// Lets users other than the one who mounted in. Only root may set it unless `/etc/fuse.conf` has
    /// `user_allow_other`.
    public var allowOther: Bool
    /// Lets the kernel check permissions against the mode bits, so no `access` round trips are needed.
    public var defaultPermissions: Bool
    /// Worker threads libfuse may run at once; each blocks while the file system answers.
    public var maximumThreads: Int
    /// Idle workers kept; nil keeps every worker ever started, which libfuse recommends (starting threads
    /// costs more than keeping them).
    public var maximumIdleThreads: Int?
    /// Seconds the kernel remembers that a name does not exist; 0 asks again every time.
    public var negativeEntryTimeout: Double
    /// Lets the kernel cache directory listings (`FOPEN_CACHE_DIR` and `FOPEN_KEEP_CACHE` on every opendir),
    /// so a directory is listed once until its inode is invalidated.
    public var cacheDirectoryListings: Bool
    /// Asks the kernel to stop sending `open`, `opendir` and their releases (kernel 5.1 and later): reads then
    /// name only the inode, and the wrapper keeps one descriptor per inode until the kernel forgets it, while
    /// the kernel keeps file pages and listings cached across opens. Halves the requests of a workload that
    /// opens many small files (Python imports) and of `find`. Kernels without the feature open as usual.
    public var skipOpenRequests: Bool

    public init(
        fileSystemName: String = "cygnet", subtype: String = "cygnet", allowOther: Bool = false,
        defaultPermissions: Bool = true, maximumThreads: Int = 16, maximumIdleThreads: Int? = nil,
        negativeEntryTimeout: Double = 60, cacheDirectoryListings: Bool = true, skipOpenRequests: Bool = false
    ) {
        self.fileSystemName = fileSystemName
        self.subtype = subtype
        self.allowOther = allowOther
        self.defaultPermissions = defaultPermissions
        self.maximumThreads = maximumThreads
        self.maximumIdleThreads = maximumIdleThreads
        self.negativeEntryTimeout = negativeEntryTimeout
        self.cacheDirectoryListings = cacheDirectoryListings
        self.skipOpenRequests = skipOpenRequests
    }
}

extension FUSEMountOptions {
    /// The `-o` argument for `fuse_session_new`. Commas and backslashes in names are escaped, as libfuse's
    /// option parser expects.
    var mountOptionString: String {
        var options = ["ro", "fsname=\(Self.escaped(fileSystemName))", "subtype=\(Self.escaped(subtype))"]
        if allowOther { options.append("allow_other") }
        if defaultPermissions { options.append("default_permissions") }
        return options.joined(separator: ",")
    }

    private static func escaped(_ value: String) -> String {
        var result = ""
        for character in value {
            if character == "," || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
