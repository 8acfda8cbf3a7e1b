import CFuse3
import Glibc

/// A libfuse low-level session: created, mounted, served, unmounted and destroyed by ``FUSEMount``.
///
/// `@unchecked Sendable` because it is a C pointer: libfuse allows `fuse_session_exit` and the notify calls
/// from any thread, and ``FUSEMount``'s state machine makes sure nothing uses it once destroyed.
struct FUSESession: @unchecked Sendable {
    private let pointer: OpaquePointer

    /// A session that answers requests with `handler`, which must outlive it.
    static func create(options: FUSEMountOptions, handler: RequestHandler) -> FUSESession? {
        var operations = RequestHandler.operations
        let userdata = Unmanaged.passUnretained(handler).toOpaque()
        // argv[0] is a program name libfuse skips; the options follow as one "-o" list.
        let arguments = ["cygnet-fuse", "-o", options.mountOptionString].map { (argument: String) in strdup(argument) }
        defer { for argument in arguments { free(argument) } }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments
        return argv.withUnsafeMutableBufferPointer { argv in
            var fuseArguments = fuse_args(argc: Int32(argv.count), argv: argv.baseAddress, allocated: 0)
            // Option parsing may replace the vector with one it allocated; this frees only that.
            defer { fuse_opt_free_args(&fuseArguments) }
            let session = fuse_session_new(
                &fuseArguments, &operations, MemoryLayout<fuse_lowlevel_ops>.size, userdata)
            return session.map(FUSESession.init(pointer:))
        }
    }

    /// Mounts at `path`; false when libfuse or the kernel refused (libfuse has logged why).
    func mount(at path: String) -> Bool {
        fuse_session_mount(pointer, path) == 0
    }

    /// Runs the multi-threaded request loop on the calling thread until the kernel drops the connection
    /// (an unmount from outside) or ``requestExit()`` takes effect. Returns 0 or a negative errno.
    func serve(maximumThreads: Int, maximumIdleThreads: Int?) -> Int32 {
        guard let configuration = fuse_loop_cfg_create() else { return -ENOMEM }
        defer { fuse_loop_cfg_destroy(configuration) }
        fuse_loop_cfg_set_max_threads(configuration, UInt32(clamping: max(maximumThreads, 1)))
        if let maximumIdleThreads {
            fuse_loop_cfg_set_idle_threads(configuration, UInt32(clamping: max(maximumIdleThreads, 1)))
        }
        return fuse_session_loop_mt(pointer, configuration)
    }

    /// Makes workers leave the loop when they next receive a request; the one that receives it leaves it
    /// unanswered (the kernel fails it when the connection closes). Workers blocked reading /dev/fuse are not
    /// woken: ``FUSEMount`` sends a request for that.
    func requestExit() {
        fuse_session_exit(pointer)
    }

    /// Closes /dev/fuse, which ends the connection, and lazily unmounts unless the kernel already has (root
    /// calls `umount2`, others `fusermount3 -u -z`). Only once the loop has returned: it closes the descriptor
    /// the workers read from.
    func unmount() {
        fuse_session_unmount(pointer)
    }

    func destroy() {
        fuse_session_destroy(pointer)
    }

    /// Drops the kernel's cached attributes and pages of `inode`. An inode the kernel does not know is fine.
    func invalidateInode(_ inode: UInt64) throws(FUSEError) {
        try Self.check(fuse_lowlevel_notify_inval_inode(pointer, inode, 0, 0))
    }

    /// Drops the kernel's cached name `name` in `parent`, positive or negative.
    func invalidateEntry(parent: UInt64, name: [UInt8]) throws(FUSEError) {
        let result = RequestHandler.withCString(name) {
            fuse_lowlevel_notify_inval_entry(pointer, parent, $0, name.count)
        }
        try Self.check(result)
    }

    private static func check(_ result: Int32) throws(FUSEError) {
        guard result != 0, result != -ENOENT else { return }
        throw FUSEError(errno: -result)
    }
}
