import Glibc
import Logging
import Synchronization

extension FUSEMount {
    /// Everything ``run(onMounted:)`` does on its dedicated thread, from mounting to tearing down.
    func mountAndServe(onMounted: @Sendable () -> Void) -> Result<Void, FUSEMountError> {
        switch state.withLock({ $0.start() }) {
        case .refuse:
            let message = "The file system at \(mountPoint) is already running"
            return .failure(FUSEMountError(code: .alreadyRunning, message: message))
        case .returnAtOnce:
            return .success(())
        case .mount:
            break
        }
        let session: FUSESession
        do {
            session = try mount()
        } catch {
            state.withLock { $0.mountFailed() }
            return .failure(error)
        }
        logger.info("Mounted", metadata: ["file-system": "\(options.fileSystemName)"])
        var status: Int32 = 0
        if state.withLock({ $0.mounted(session) }) == .serve {
            onMounted()
            status = session.serve(
                maximumThreads: options.maximumThreads, maximumIdleThreads: options.maximumIdleThreads)
        }
        return tearDown(session, loopStatus: status)
    }

    private func mount() throws(FUSEMountError) -> FUSESession {
        try MountPoint(path: mountPoint, logger: logger).prepare()
        guard let session = FUSESession.create(options: options, handler: handler) else {
            let message = "libfuse refused the mount options for \(mountPoint): \(options.mountOptionString)"
            throw FUSEMountError(code: .mountFailed, message: message)
        }
        guard session.mount(at: mountPoint) else {
            session.destroy()
            let message = "Cannot mount a FUSE file system on \(mountPoint) (libfuse wrote the reason to stderr)"
            throw FUSEMountError(code: .mountFailed, message: message)
        }
        return session
    }

    /// Unmounts (if the kernel has not already) and frees the session. The state changes first: from then
    /// on no invalidation can reach the session, whose descriptor `unmount` closes.
    private func tearDown(_ session: FUSESession, loopStatus: Int32) -> Result<Void, FUSEMountError> {
        let requested = state.withLock { $0.stopped() }
        session.unmount()
        session.destroy()
        handler.releaseAbandonedHandles()
        guard requested || loopStatus == 0 else {
            let reason = String(cString: strerror(-loopStatus))
            logger.error("The FUSE connection failed", metadata: ["reason": "\(reason)"])
            let message = "Serving \(mountPoint) failed: \(reason)"
            return .failure(FUSEMountError(code: .loopFailed, message: message, errno: -loopStatus))
        }
        logger.info(requested ? "Unmounted" : "Unmounted from outside")
        return .success(())
    }
}
