/// What `stat` shows of one inode. Access and change times are reported equal to the modification time:
/// a repository's files never change in place.
public struct FUSEAttributes: Hashable, Sendable {
    public var inode: UInt64
    /// The full `st_mode`: type bits (`S_IFDIR`, `S_IFREG`, `S_IFLNK`, …) and permission bits.
    public var mode: UInt32
    public var linkCount: UInt32
    public var userID: UInt32
    public var groupID: UInt32
    /// Bytes for regular files (the kernel never reads past it), target length for symbolic links.
    public var size: UInt64
    /// 512-byte blocks, as `du` counts them.
    public var blocks: UInt64
    public var modificationTime: FUSETimestamp
    /// The device number of character and block devices; 0 for everything else.
    public var deviceNumber: UInt64

    /// Attributes with `blocks` derived from `size`.
    public init(
        inode: UInt64, mode: UInt32, linkCount: UInt32 = 1, userID: UInt32 = 0, groupID: UInt32 = 0,
        size: UInt64 = 0, blocks: UInt64? = nil, modificationTime: FUSETimestamp = FUSETimestamp(seconds: 0),
        deviceNumber: UInt64 = 0
    ) {
        self.inode = inode
        self.mode = mode
        self.linkCount = linkCount
        self.userID = userID
        self.groupID = groupID
        self.size = size
        self.blocks = blocks ?? (size + 511) / 512
        self.modificationTime = modificationTime
        self.deviceNumber = deviceNumber
    }
}

/// A point in time as `struct timespec` holds it: seconds since the epoch and nanoseconds within the second.
public struct FUSETimestamp: Hashable, Sendable {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }
}

/// Attributes with how long the kernel may cache them, the answer to `getattr`.
public struct FUSEAttributeReply: Hashable, Sendable {
    public var attributes: FUSEAttributes
    /// Seconds; 0 asks again on every `stat`.
    public var timeout: Double

    public init(_ attributes: FUSEAttributes, timeout: Double) {
        self.attributes = attributes
        self.timeout = timeout
    }
}
