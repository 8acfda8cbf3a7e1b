import CFuse3
import Glibc
public import Logging
import Synchronization

/// Serves a ``ReadOnlyFileSystem`` at a mount point through libfuse's low-level API.
///
/// ``run(onMounted:)`` mounts and serves on a dedicated thread (libfuse's multi-threaded loop, whose workers
/// call the file system) and returns once unmounted; ``unmount()`` or cancelling the calling task ends it.
/// While mounted, ``invalidateInode(_:)`` and ``invalidateEntry(parent:name:)`` drop kernel caches.
public final class FUSEMount: Sendable {
    public let mountPoint: String
    let options: FUSEMountOptions
    let logger: Logger
    /// Reached from C callbacks through an unretained pointer, so it lives as long as this mount.
    let handler: RequestHandler
    let state = Mutex(MountStateMachine<FUSESession>())

    public init(
        fileSystem: some ReadOnlyFileSystem, mountPoint: String, options: FUSEMountOptions = FUSEMountOptions(),
        logger: Logger = Logger(label: "cygnet.fuse")
    ) {
        self.mountPoint = mountPoint
        self.options = options
        var logger = logger
        logger[metadataKey: "mount-point"] = "\(mountPoint)"
        self.logger = logger
        self.handler = RequestHandler(fileSystem: fileSystem, options: options, logger: logger)
    }

    /// Mounts, calls `onMounted`, serves requests until the file system is unmounted, and returns.
    ///
    /// `onMounted` runs on the serving thread just before the loop starts, so it must not block, and must
    /// not wait for the mount to answer (resume a continuation, yield to a stream). Requests made from other
    /// threads from then on are answered as soon as the loop starts. Cancelling the calling task unmounts.
    /// Returns normally after ``unmount()``, cancellation or an unmount from outside (`umount`); throws
    /// ``FUSEMountError`` if mounting fails or the kernel connection breaks.
    public func run(onMounted: @escaping @Sendable () -> Void = {}) async throws(FUSEMountError) {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, FUSEMountError>, Never>) in
                let failure = DedicatedThread.start {
                    continuation.resume(returning: self.mountAndServe(onMounted: onMounted))
                }
                if let failure {
                    let message = "Cannot start a thread to serve \(mountPoint)"
                    let error = FUSEMountError(code: .mountFailed, message: message, errno: failure)
                    continuation.resume(returning: .failure(error))
                }
            }
        } onCancel: {
            self.unmount()
        }
        try result.get()
    }

    /// Takes the mount down: the request loop ends at once, then ``run(onMounted:)`` unmounts (lazily, as
    /// `umount -l`) and returns. Processes still using the mount get `ENOTCONN` from then on, as from any
    /// FUSE server that stops. Thread-safe and idempotent; before `run`, it makes `run` return without
    /// mounting.
    public func unmount() {
        let stopping = state.withLock { machine in
            guard case .stopServing(let session) = machine.unmountRequested() else { return false }
            // Under the lock: the session must not be destroyed meanwhile.
            session.requestExit()
            return true
        }
        guard stopping else { return }
        logger.info("Unmounting")
        wakeServingThreads()
    }

    /// Workers notice the exit flag only when a request arrives, which on an idle mount may be never. A lookup
    /// of a name nobody uses is such a request. It gets no answer (the worker that reads it leaves), so the
    /// `stat` returns only when the connection closes, hence a thread of its own.
    private func wakeServingThreads() {
        let probe = mountPoint + "/.cygnet-unmount-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let failure = DedicatedThread.start {
            var status = stat()
            _ = stat(probe, &status)
        }
        if let failure {
            let reason = String(cString: strerror(failure))
            logger.warning(
                "Cannot wake the FUSE loop; it ends with the next request", metadata: ["reason": "\(reason)"])
        }
    }

    /// Drops the kernel's cached attributes and file pages (or directory listing) of `inode`, for a repository
    /// that switched revision. Thread-safe; not from inside a ``ReadOnlyFileSystem`` method, where the kernel
    /// may be waiting on the very request being answered. Throws ``FUSEError/notConnected`` when not mounted.
    public func invalidateInode(_ inode: UInt64) throws(FUSEError) {
        try withLiveSession { session throws(FUSEError) in try session.invalidateInode(inode) }
    }

    /// Drops the kernel's cached lookup of `name` in `parent`, a positive entry or a negative one.
    /// Same rules as ``invalidateInode(_:)``.
    public func invalidateEntry(parent: UInt64, name: [UInt8]) throws(FUSEError) {
        try withLiveSession { session throws(FUSEError) in try session.invalidateEntry(parent: parent, name: name) }
    }

    /// Runs `body` holding the lock, so the session cannot be destroyed while a notification is written.
    private func withLiveSession(_ body: (FUSESession) throws(FUSEError) -> Void) throws(FUSEError) {
        try state.withLock { machine throws(FUSEError) in
            guard let session = machine.liveSession else { throw FUSEError.notConnected }
            try body(session)
        }
    }
}
