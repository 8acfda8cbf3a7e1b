import Foundation

/// Starts a session server as a process that outlives the hub: in its own session (so it and everything it starts
/// can be signalled as one group) and not tied to any task of the hub. swift-subprocess ties a child's life to the
/// calling task and ends it on cancellation, which is right for short commands but would cut every open kernel when
/// the hub restarts; hence posix_spawn here.
enum DetachedProcess {
    /// glibc's POSIX_SPAWN_SETSID (a GNU extension the Swift module does not import).
    static let spawnSetSID: Int32 = 0x80

    struct Identity: Sendable {
        var userID: UInt32
        var groupID: UInt32
    }

    /// Spawns `arguments[0]` with `arguments`, `environment`, working directory `directory`, output appended to
    /// `logFile`. With `identity`, the process runs as that user through `setpriv` (util-linux).
    static func spawn(
        arguments: [String], environment: [String: String], directory: String, logFile: String,
        identity: Identity?
    ) throws -> (processID: Int32, startTime: UInt64?) {
        var argv = arguments
        if let identity {
            argv =
                [
                    "/usr/bin/setpriv", "--reuid=\(identity.userID)", "--regid=\(identity.groupID)", "--clear-groups",
                    "--",
                ] + arguments
        }
        // glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: `env -C` changes directory instead.
        argv = ["/usr/bin/env", "-C", directory, "--"] + argv

        closeOnExec()
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(
            &attributes, Int16(Self.spawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments + cEnvironment { free(pointer) }
        }
        var processID: pid_t = 0
        let status = posix_spawn(&processID, argv[0], &fileActions, &attributes, cArguments, cEnvironment)
        guard status == 0 else {
            throw SpawnFailure("Could not start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return (processID, startTime(of: processID))
    }

    /// Marks every descriptor of the hub close-on-exec, so a session never inherits one (the hub's listening socket
    /// would keep its port taken after the hub stops). glibc's posix_spawn_file_actions_addclosefrom_np would do
    /// this in the child, but Swift does not import that GNU extension.
    static func closeOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let descriptor = Int32(entry), descriptor > 2 else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot.
    static func startTime(of processID: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field 22 is at index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether the process is still the one started (not exited, not a zombie, its id not reused).
    static func isAlive(processID: Int32, startTime: UInt64?) -> Bool {
        reap(processID)
        guard kill(processID, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.first == "Z" || fields.first == "X" { return false }
        if let startTime, fields.count > 19, UInt64(fields[19]) != startTime { return false }
        return true
    }

    /// Collects the exit status of a child of ours, so it does not linger as a zombie. Processes adopted after a
    /// hub restart are not our children; for them this does nothing.
    static func reap(_ processID: Int32) {
        var status: Int32 = 0
        _ = waitpid(processID, &status, WNOHANG)
    }

    /// SIGTERM to the whole process group, then SIGKILL to what is left after `grace`.
    static func terminate(processID: Int32, startTime: UInt64?, grace: Duration) async {
        guard isAlive(processID: processID, startTime: startTime) else { return }
        kill(-processID, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isAlive(processID: processID, startTime: startTime) {
                kill(-processID, SIGKILL)  // kernels the server left behind
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(-processID, SIGKILL)
        try? await Task.sleep(for: .milliseconds(50))
        reap(processID)
    }
}
