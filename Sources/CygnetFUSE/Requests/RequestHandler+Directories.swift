import CFuse3
import Glibc

extension RequestHandler {
    func openDirectory(_ request: OpaquePointer?, inode: UInt64, info: UnsafeMutablePointer<fuse_file_info>) {
        // ENOSYS: the kernel stops sending opendir, caching listings by default (skipOpenRequests).
        if skipOpenRequests { return Self.replyError(request, FUSEError(errno: ENOSYS)) }
        info.pointee.fh = openDirectories.store(DirectoryHandle(inode: inode))
        if cacheDirectoryListings {
            // The kernel keeps listings in the directory's page cache until its inode is invalidated.
            info.pointee.cache_readdir = 1
            info.pointee.keep_cache = 1
        }
        if fuse_reply_open(request, info) != 0 {
            // The opener was interrupted: no releasedir will follow.
            _ = openDirectories.take(info.pointee.fh)
        }
    }

    /// Answers `readdir` and `readdirplus` with as many entries from `offset` on as fit in `size` bytes. An
    /// entry's offset is its index plus one, so the kernel's next read starts after it.
    func readDirectory(
        _ request: OpaquePointer?, inode: UInt64, size: Int, offset: Int, info: UnsafeMutablePointer<fuse_file_info>,
        plus: Bool
    ) {
        let entries: [FUSEDirectoryEntry]
        do {
            if info.pointee.fh == 0 {
                entries = try inodes.listing(for: inode, offset: offset) { () throws(FUSEError) in
                    try fileSystem.listDirectory(inode)
                }
            } else {
                entries = try HandleRegistry<DirectoryHandle>.peek(info.pointee.fh).entries(from: fileSystem)
            }
        } catch {
            return Self.replyError(request, error)
        }
        var buffer = [CChar](repeating: 0, count: size)
        let used = buffer.withUnsafeMutableBufferPointer { buffer in
            fill(buffer, request: request, entries: entries, from: max(offset, 0), plus: plus)
        }
        if used == 0 && info.pointee.fh == 0 { inodes.finishedListing(inode) }
        _ = fuse_reply_buf(request, buffer, used)
    }

    private func fill(
        _ buffer: UnsafeMutableBufferPointer<CChar>, request: OpaquePointer?, entries: [FUSEDirectoryEntry],
        from start: Int, plus: Bool
    ) -> Int {
        var used = 0
        for index in entries.indices.dropFirst(start) {
            let free = UnsafeMutableBufferPointer(rebasing: buffer[used...])
            let needed = add(entries[index], nextOffset: index + 1, to: free, request, plus: plus)
            // libfuse reports the size an entry needs without writing it when it does not fit.
            guard needed <= free.count else { break }
            used += needed
        }
        return used
    }

    /// Each `readdirplus` entry sent counts as a lookup the kernel will forget later ("." and ".." excepted).
    private func add(
        _ entry: FUSEDirectoryEntry, nextOffset: Int, to buffer: UnsafeMutableBufferPointer<CChar>,
        _ request: OpaquePointer?, plus: Bool
    ) -> Int {
        Self.withCString(entry.name) { name in
            if plus {
                var parameters = entry.entry.cEntry
                let needed = fuse_add_direntry_plus(
                    request, buffer.baseAddress, buffer.count, name, &parameters, off_t(nextOffset))
                if needed <= buffer.count && !Self.isDotOrDotDot(entry.name) { inodes.looked(up: entry.entry.inode) }
                return needed
            }
            var attributes = entry.entry.attributes.cStat
            return fuse_add_direntry(request, buffer.baseAddress, buffer.count, name, &attributes, off_t(nextOffset))
        }
    }

    private static func isDotOrDotDot(_ name: [UInt8]) -> Bool {
        name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")]
    }

    func releaseDirectory(_ request: OpaquePointer?, info: UnsafeMutablePointer<fuse_file_info>) {
        _ = openDirectories.take(info.pointee.fh)
        _ = fuse_reply_err(request, 0)
    }
}
