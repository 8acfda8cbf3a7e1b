import CFuse3
import Glibc
import Logging

extension RequestHandler {
    func open(_ request: OpaquePointer?, inode: UInt64, info: UnsafeMutablePointer<fuse_file_info>) {
        // ENOSYS tells the kernel to stop sending opens for this mount (it caches pages across opens then).
        if skipOpenRequests { return Self.replyError(request, FUSEError(errno: ENOSYS)) }
        // A read-only mount makes the kernel refuse writes itself; this guards a mount made writable by hand.
        guard info.pointee.flags & O_ACCMODE == O_RDONLY else {
            return Self.replyError(request, FUSEError(errno: EROFS))
        }
        let file: FUSEOpenFile
        do {
            file = try fileSystem.open(inode)
        } catch {
            return Self.replyError(request, error)
        }
        info.pointee.fh = openFiles.store(OpenFileHandle(inode: inode, file: file))
        info.pointee.keep_cache = file.keepCache ? 1 : 0
        if fuse_reply_open(request, info) != 0 {
            // The opener was interrupted: the kernel will send no release, so release here.
            fileSystem.release(inode, file: openFiles.take(info.pointee.fh).file)
        }
    }

    /// Answers from the file system's descriptor; libfuse splices the range when it can. A read past the end
    /// returns what is there (the kernel trims reads to the size it knows anyway), and a failing read is
    /// answered with its errno by libfuse itself.
    func read(
        _ request: OpaquePointer?, inode: UInt64, size: Int, offset: Int, info: UnsafeMutablePointer<fuse_file_info>
    ) {
        let file: FUSEOpenFile
        if info.pointee.fh == 0 {
            // No open came first (skipOpenRequests): the descriptor is kept per inode.
            do {
                file = try inodes.file(
                    for: inode, open: { () throws(FUSEError) in try fileSystem.open(inode) },
                    release: { fileSystem.release(inode, file: $0) })
            } catch {
                return Self.replyError(request, error)
            }
        } else {
            file = HandleRegistry<OpenFileHandle>.peek(info.pointee.fh).file
        }
        _ = cygnet_fuse_reply_file_range(request, file.descriptor, size, off_t(offset))
    }

    func release(_ request: OpaquePointer?, inode: UInt64, info: UnsafeMutablePointer<fuse_file_info>) {
        fileSystem.release(inode, file: openFiles.take(info.pointee.fh).file)
        _ = fuse_reply_err(request, 0)
    }

    /// Releases the files the kernel never released (it drops pending releases when the connection ends), so
    /// the file system gets exactly one release per open. Only once the request loop has returned.
    func releaseAbandonedHandles() {
        let files = openFiles.takeAll()
        for handle in files {
            fileSystem.release(handle.inode, file: handle.file)
        }
        for (inode, file) in inodes.takeAllFiles() {
            fileSystem.release(inode, file: file)
        }
        let directories = openDirectories.takeAll()
        if !files.isEmpty || !directories.isEmpty {
            logger.debug(
                "Released handles the kernel left open",
                metadata: ["files": "\(files.count)", "directories": "\(directories.count)"])
        }
    }
}
