import Foundation
import Subprocess

#if canImport(Glibc)
    import Glibc
#endif

/// The checks of `cygnet doctor` on this machine; each returns what it found in words a teacher can act on.
enum DoctorChecks {
    static let minimumFreeBytes: UInt64 = 5 << 30

    static func port(_ front: FrontDoor) -> DoctorCheck {
        let address = "\(front.host):\(front.port)"
        switch PortProbe.canListen(host: front.host, port: front.port) {
        case .free:
            return .ok("port \(front.port) on \(front.host) is free")
        case .inUse:
            let owner = PortOwner.find(port: front.port)
            if let owner, owner.isCygnet {
                return .ok(
                    "port \(front.port) is in use by Cygnet itself (\(owner.command), process \(owner.processID))")
            }
            let by = owner.map { " by \($0.command) (process \($0.processID))" } ?? " by another program"
            return .fix(
                "port \(front.port) on \(front.host) is in use\(by)",
                "stop that program, or run `cygnet up --port` with another port")
        case .unavailable(let reason):
            return .fix(
                "cannot listen on \(address): \(reason)",
                "use an address of this machine, such as 127.0.0.1 or 0.0.0.0 (auth.host in the settings file)")
        }
    }

    /// The ports after the front port, where the parts of Cygnet behind the proxy listen.
    static func internalPorts(_ front: FrontDoor) -> DoctorCheck {
        let taken = front.internalPorts.compactMap { port -> String? in
            guard PortProbe.canListen(host: front.internalHost, port: port) != .free else { return nil }
            guard let owner = PortOwner.find(port: port) else { return "\(port) (another program)" }
            return owner.isCygnet ? nil : "\(port) (\(owner.command), process \(owner.processID))"
        }
        let range = "\(front.internalPorts.first!)–\(front.internalPorts.last!)"
        guard taken.isEmpty else {
            return .fix(
                "Cygnet's parts need ports \(range) on this machine, but these are in use: "
                    + taken.joined(separator: ", "),
                "stop those programs, or run `cygnet up --port` with another port")
        }
        return .ok("ports \(range) for the parts behind the front door are free (or Cygnet's own)")
    }

    /// JupyterLab and jupyterhub-singleuser in the default session environment.
    static func sessionEnvironment(prefix: String = "/opt/cygnet/jupyter") -> DoctorCheck {
        let program = prefix + "/bin/jupyterhub-singleuser"
        guard access(program, X_OK) == 0 else {
            return .fix(
                "JupyterLab for notebook sessions is not installed (\(program) is missing)",
                "run scripts/install, which puts it into \(prefix)")
        }
        return .ok("JupyterLab for notebook sessions is installed (\(prefix))")
    }

    static func python() async -> [DoctorCheck] {
        let install = "install it: apt-get install python3 python3-venv"
        guard let version = await output(of: ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]) else {
            return [.fix("Python 3 is not installed (notebook sessions run on it)", install)]
        }
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2, (parts[0], parts[1]) >= (3, 9) else {
            return [.fix("Python \(version) is too old; Cygnet needs 3.9 or newer", "install a newer python3")]
        }
        // Debian leaves `ensurepip` out of python3 itself, and `python3 -m venv` fails without it.
        let venv: DoctorCheck =
            await output(of: ["-c", "import venv, ensurepip; print('ok')"]) == "ok"
            ? .ok("python3 -m venv is available")
            : .fix("python3 -m venv is not available (needed for session environments)", "apt-get install python3-venv")
        return [.ok("Python \(version) is installed"), venv]
    }

    /// The first line python3 prints, or nil if it cannot be run or fails.
    private static func output(of arguments: [String]) async -> String? {
        do {
            let result = try await Subprocess.run(
                .name("python3"), arguments: Arguments(arguments), output: .string(limit: 4096), error: .discarded)
            guard result.terminationStatus.isSuccess else { return nil }
            return result.standardOutput.split(whereSeparator: \.isNewline).first.map(String.init)
        } catch {
            return nil
        }
    }

    static func fuse() -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let type = (try? FileManager.default.attributesOfItem(atPath: "/dev/fuse"))?[.type] as? FileAttributeType
        if type == .typeCharacterSpecial {
            checks.append(.ok("the FUSE device /dev/fuse is there (for mounting the software library)"))
        } else {
            checks.append(
                .fix(
                    "the FUSE device /dev/fuse is missing (needed to mount the software library)",
                    "run `modprobe fuse`; inside a container, start it with --device /dev/fuse"))
        }
        if let path = executableInPath("fusermount3") {
            checks.append(.ok("fusermount3 is installed (\(path))"))
        } else {
            checks.append(.fix("fusermount3 is not installed", "apt-get install fuse3"))
        }
        return checks
    }

    static func executableInPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func diskSpace(stateDirectory: String) -> DoctorCheck {
        let folder = nearestExistingFolder(stateDirectory)
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else {
            return .fix("cannot tell how much disk space is free at \(folder)", "check that the folder exists")
        }
        return diskSpace(freeBytes: UInt64(info.f_bavail) * UInt64(info.f_frsize), folder: stateDirectory)
    }

    static func diskSpace(freeBytes: UInt64, folder: String) -> DoctorCheck {
        let gibibytes = String(format: "%.1f GiB", Double(freeBytes) / Double(1 << 30))
        guard freeBytes >= minimumFreeBytes else {
            return .fix(
                "only \(gibibytes) free on the disk of \(folder) (Cygnet wants at least 5 GiB for software and files)",
                "free some space, or use --state-dir with a folder on a bigger disk")
        }
        return .ok("\(gibibytes) free on the disk of \(folder)")
    }

    /// The state folder accepts new files (tried for real: permissions alone miss read-only disks).
    static func stateDirectoryWritable(_ path: String) -> DoctorCheck {
        let folder = nearestExistingFolder(path)
        let probe = folder + "/.cygnet-doctor-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return .fix(
                "cannot write in \(folder) (\(reason))",
                "run as the account that owns it, or use --state-dir with a folder you can write to")
        }
        close(descriptor)
        unlink(probe)
        return folder == path
            ? .ok("the state folder \(path) is writable")
            : .ok("the state folder \(path) does not exist yet; `cygnet up` can create it in \(folder)")
    }

    static func nearestExistingFolder(_ path: String) -> String {
        var folder = path
        while !FileManager.default.fileExists(atPath: folder), folder != "/" {
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folder
    }
}
