/// What `statfs` (`df`) reports. Free space and free inodes are always 0: the file system is read-only.
public struct FUSEFileSystemStatistics: Hashable, Sendable {
    public var blockSize: UInt64
    /// In units of `blockSize`.
    public var blockCount: UInt64
    public var fileCount: UInt64
    public var maximumNameLength: UInt64

    public init(
        blockSize: UInt64 = 4096, blockCount: UInt64 = 0, fileCount: UInt64 = 0, maximumNameLength: UInt64 = 255
    ) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.fileCount = fileCount
        self.maximumNameLength = maximumNameLength
    }
}
