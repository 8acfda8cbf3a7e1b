import CFuse3

extension RequestHandler {
    func lookup(_ request: OpaquePointer?, parent: UInt64, name: UnsafePointer<CChar>) {
        do {
            let found = try fileSystem.lookup(parent: parent, name: Self.bytes(of: name))
            var entry = found.cEntry
            if fuse_reply_entry(request, &entry) == 0 { inodes.looked(up: found.inode) }
        } catch {
            guard error == .noSuchFileOrDirectory, negativeEntryTimeout > 0 else {
                return Self.replyError(request, error)
            }
            // Python probes many names that are absent; the kernel remembers the miss instead of asking again.
            var negative = FUSEEntry.negativeCEntry(timeout: negativeEntryTimeout)
            _ = fuse_reply_entry(request, &negative)
        }
    }

    func forget(_ request: OpaquePointer?, inode: UInt64, lookups: UInt64) {
        dropLookups(inode, lookups)
        fuse_reply_none(request)
    }

    func forget(_ request: OpaquePointer?, _ forgets: UnsafeBufferPointer<fuse_forget_data>) {
        for forget in forgets {
            dropLookups(forget.ino, forget.nlookup)
        }
        fuse_reply_none(request)
    }

    private func dropLookups(_ inode: UInt64, _ lookups: UInt64) {
        if let file = inodes.forget(inode, lookups: lookups) { fileSystem.release(inode, file: file) }
        fileSystem.forget(inode, lookups: lookups)
    }

    func attributes(_ request: OpaquePointer?, inode: UInt64) {
        do {
            let reply = try fileSystem.attributes(of: inode)
            var attributes = reply.attributes.cStat
            _ = fuse_reply_attr(request, &attributes, reply.timeout)
        } catch {
            Self.replyError(request, error)
        }
    }

    func readLink(_ request: OpaquePointer?, inode: UInt64) {
        do {
            let target = try fileSystem.readLink(inode)
            _ = Self.withCString(target) { fuse_reply_readlink(request, $0) }
        } catch {
            Self.replyError(request, error)
        }
    }

    func statistics(_ request: OpaquePointer?) {
        var statistics = fileSystem.statistics().cStatistics
        _ = fuse_reply_statfs(request, &statistics)
    }
}
