import CFuse3

extension RequestHandler {
    /// The table of C callbacks handed to `fuse_session_new`. Operations left out (every write, `access`,
    /// `flush`) are answered `ENOSYS` by libfuse, which the kernel remembers and stops sending; writes never
    /// get that far on a read-only mount.
    static var operations: fuse_lowlevel_ops {
        var operations = fuse_lowlevel_ops()
        operations.`init` = { userdata, connection in
            Unmanaged<RequestHandler>.fromOpaque(userdata!).takeUnretainedValue().negotiate(connection!)
        }
        operations.lookup = { request, parent, name in
            RequestHandler.of(request).lookup(request, parent: parent, name: name!)
        }
        operations.forget = { request, inode, lookups in
            RequestHandler.of(request).forget(request, inode: inode, lookups: lookups)
        }
        operations.forget_multi = { request, count, forgets in
            RequestHandler.of(request).forget(request, UnsafeBufferPointer(start: forgets, count: count))
        }
        operations.getattr = { request, inode, _ in RequestHandler.of(request).attributes(request, inode: inode) }
        operations.readlink = { request, inode in RequestHandler.of(request).readLink(request, inode: inode) }
        operations.statfs = { request, _ in RequestHandler.of(request).statistics(request) }
        addFileOperations(to: &operations)
        addDirectoryOperations(to: &operations)
        operations.getxattr = { request, inode, name, size in
            RequestHandler.of(request).extendedAttribute(request, inode: inode, name: name!, size: size)
        }
        operations.listxattr = { request, inode, size in
            RequestHandler.of(request).extendedAttributeNames(request, inode: inode, size: size)
        }
        return operations
    }

    private static func addFileOperations(to operations: inout fuse_lowlevel_ops) {
        operations.open = { request, inode, info in
            RequestHandler.of(request).open(request, inode: inode, info: info!)
        }
        operations.read = { request, inode, size, offset, info in
            RequestHandler.of(request).read(request, inode: inode, size: size, offset: offset, info: info!)
        }
        operations.release = { request, inode, info in
            RequestHandler.of(request).release(request, inode: inode, info: info!)
        }
    }

    private static func addDirectoryOperations(to operations: inout fuse_lowlevel_ops) {
        operations.opendir = { request, inode, info in
            RequestHandler.of(request).openDirectory(request, inode: inode, info: info!)
        }
        operations.readdir = { request, inode, size, offset, info in
            RequestHandler.of(request).readDirectory(
                request, inode: inode, size: size, offset: offset, info: info!, plus: false)
        }
        operations.readdirplus = { request, inode, size, offset, info in
            RequestHandler.of(request).readDirectory(
                request, inode: inode, size: size, offset: offset, info: info!, plus: true)
        }
        operations.releasedir = { request, _, info in
            RequestHandler.of(request).releaseDirectory(request, info: info!)
        }
    }
}
