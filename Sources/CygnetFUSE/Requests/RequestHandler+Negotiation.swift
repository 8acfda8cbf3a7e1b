import CFuse3
import Logging

extension RequestHandler {
    /// Capabilities that pay off for a read-only repository, each taken only where the kernel (and libfuse)
    /// offers it: asking for more aborts the session.
    static let wantedCapabilities: UInt32 = {
        let capabilities: Int32 = [
            // Reads of one file may be in flight at once (readahead alongside the reader).
            FUSE_CAP_ASYNC_READ,
            // Replies to reads are spliced from the backing file's descriptor into /dev/fuse, not copied
            // through our memory; "move" lets the kernel take the pages when it can.
            FUSE_CAP_SPLICE_WRITE, FUSE_CAP_SPLICE_MOVE,
            // Symlink targets stay in the page cache: a software tree resolves the same links constantly.
            FUSE_CAP_CACHE_SYMLINKS,
            // Listings carry attributes, filling the name and attribute caches in one go; "auto" lets the
            // kernel fall back to plain readdir when nobody looks at the entries afterwards.
            FUSE_CAP_READDIRPLUS, FUSE_CAP_READDIRPLUS_AUTO,
            // Lookups in one directory run concurrently (Python's import probes).
            FUSE_CAP_PARALLEL_DIROPS,
        ].reduce(0, |)
        return UInt32(capabilities)
    }()

    /// The `init` callback: settles capabilities before the first request. `max_readahead` stays at the
    /// kernel's offer, which is already the most it accepts (the kernel only lets it shrink).
    func negotiate(_ connection: UnsafeMutablePointer<fuse_conn_info>) {
        let offered = connection.pointee.capable
        connection.pointee.want |= Self.wantedCapabilities & offered
        let openless = UInt32(FUSE_CAP_NO_OPEN_SUPPORT | FUSE_CAP_NO_OPENDIR_SUPPORT)
        if skipOpenRequests {
            // The kernel learns it from our ENOSYS answers to open and opendir; these only let libfuse pass it on.
            connection.pointee.want |= openless & offered
        } else {
            // Listings are paged per opendir handle, so every directory must be opened.
            connection.pointee.want &= ~openless
        }
        logger.debug(
            "FUSE session initialised",
            metadata: [
                "protocol": "\(connection.pointee.proto_major).\(connection.pointee.proto_minor)",
                "capabilities-wanted": "\(String(connection.pointee.want, radix: 16))",
                "capabilities-missing": "\(String(Self.wantedCapabilities & ~offered, radix: 16))",
                "max-readahead": "\(connection.pointee.max_readahead)",
            ])
    }
}
