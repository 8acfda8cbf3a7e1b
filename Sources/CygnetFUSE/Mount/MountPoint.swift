import CFuse3
import Glibc
import Logging

/// The directory a file system is mounted on, checked (and cleared of a stale mount) before libfuse touches
/// it, so that a failure says in words what is wrong.
struct MountPoint {
    let path: String
    let logger: Logger

    /// Clears a stale FUSE mount left by a crashed previous run, then checks that `path` is a directory with
    /// nothing mounted on it.
    func prepare() throws(FUSEMountError) {
        let status = try statusClearingStaleMount()
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw invalid("The mount point \(path) is not a directory")
        }
        var parentStatus = stat()
        // A mount point sits on another device than its parent directory.
        if stat(path + "/..", &parentStatus) == 0, parentStatus.st_dev != status.st_dev {
            throw FUSEMountError(
                code: .alreadyMounted,
                message: "Something is already mounted on \(path); unmount it first (umount \(path))")
        }
    }

    private func statusClearingStaleMount() throws(FUSEMountError) -> stat {
        var status = stat()
        // The kernel may answer `stat` of a dead FUSE mount's root from its attribute cache; `statvfs` always asks
        // the server, so it is what tells a stale mount from a live one.
        var fileSystem = statvfs()
        var error = statvfs(path, &fileSystem) == 0 ? 0 : errno
        if !Self.isStale(error) {
            if stat(path, &status) == 0 { return status }
            error = errno
        }
        if Self.isStale(error) {
            // A FUSE server that died without unmounting leaves "Transport endpoint is not connected".
            logger.warning("Clearing a stale FUSE mount left by a previous run")
            detach()
            if stat(path, &status) == 0 { return status }
            error = errno
        }
        switch error {
        case ENOENT:
            throw invalid("The mount point \(path) does not exist", errno: error)
        case _ where Self.isStale(error):
            throw invalid("The stale FUSE mount on \(path) could not be cleared; try umount -l \(path)", errno: error)
        default:
            let reason = String(cString: strerror(error))
            throw invalid("The mount point \(path) cannot be examined: \(reason)", errno: error)
        }
    }

    private static func isStale(_ error: Int32) -> Bool {
        error == ENOTCONN || error == ECONNABORTED
    }

    private func invalid(_ message: String, errno: Int32? = nil) -> FUSEMountError {
        FUSEMountError(code: .invalidMountPoint, message: message, errno: errno)
    }

    /// Lazily unmounts `path`, as `umount -l`. Root detaches directly; others ask the setuid `fusermount3`.
    private func detach() {
        if geteuid() == 0 {
            if umount2(path, Int32(MNT_DETACH)) != 0 {
                let reason = String(cString: strerror(errno))
                logger.debug("Lazy unmount failed", metadata: ["reason": "\(reason)"])
            }
            return
        }
        let status = Self.runToCompletion(["fusermount3", "-u", "-z", path])
        if status != 0 {
            logger.debug("fusermount3 -u -z failed", metadata: ["wait-status": "\(status)"])
        }
    }

    /// Runs a program found on PATH and waits for it; returns its wait status, or -1 if it could not start.
    private static func runToCompletion(_ arguments: [String]) -> Int32 {
        var process = pid_t()
        let cArguments = arguments.map { (argument: String) in strdup(argument) }
        defer { for argument in cArguments { free(argument) } }
        let started = (cArguments + [nil]).withUnsafeBufferPointer { argv in
            posix_spawnp(&process, arguments[0], nil, nil, argv.baseAddress!, environ)
        }
        guard started == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(process, &status, 0) == -1 && errno == EINTR {}
        return status
    }
}
