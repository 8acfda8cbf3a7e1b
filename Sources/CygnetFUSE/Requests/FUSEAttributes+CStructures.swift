import CFuse3
import Glibc

extension FUSEAttributes {
    /// The `struct stat` libfuse converts into the kernel's attribute record.
    var cStat: stat {
        var result = stat()
        result.st_ino = ino_t(inode)
        result.st_mode = mode
        result.st_nlink = nlink_t(linkCount)
        result.st_uid = userID
        result.st_gid = groupID
        result.st_size = off_t(truncatingIfNeeded: size)
        result.st_blocks = blkcnt_t(truncatingIfNeeded: blocks)
        result.st_rdev = dev_t(deviceNumber)
        let time = timespec(tv_sec: Int(modificationTime.seconds), tv_nsec: Int(modificationTime.nanoseconds))
        result.st_mtim = time
        result.st_atim = time
        result.st_ctim = time
        return result
    }
}

extension FUSEEntry {
    var cEntry: fuse_entry_param {
        var result = fuse_entry_param()
        result.ino = inode
        result.generation = generation
        result.attr = attributes.cStat
        result.attr_timeout = attributeTimeout
        result.entry_timeout = entryTimeout
        return result
    }

    /// "This name does not exist", cached by the kernel for `timeout` seconds: inode 0 is the protocol's
    /// negative entry.
    static func negativeCEntry(timeout: Double) -> fuse_entry_param {
        var result = fuse_entry_param()
        result.entry_timeout = timeout
        return result
    }
}

extension FUSEFileSystemStatistics {
    var cStatistics: statvfs {
        var result = statvfs()
        result.f_bsize = UInt(blockSize)
        result.f_frsize = UInt(blockSize)
        result.f_blocks = fsblkcnt_t(blockCount)
        result.f_files = fsfilcnt_t(fileCount)
        result.f_namemax = UInt(maximumNameLength)
        return result
    }
}
