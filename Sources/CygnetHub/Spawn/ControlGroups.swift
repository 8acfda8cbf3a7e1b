import Foundation

/// Memory and CPU limits for sessions through the kernel's control groups, v2 (unified) or v1 (one hierarchy per
/// controller). Each session gets `cygnet/<account>` with its limits; its processes and their children stay in it.
public struct ControlGroups: Sendable {
    enum Layout: Sendable, Equatable {
        case unified(root: String)
        case perController(memory: String, cpu: String, cpuAccounting: String?)
        case unavailable(String)
    }

    let layout: Layout

    public init(root: String = "/sys/fs/cgroup") {
        layout = Self.detect(root: root)
    }

    /// For the admin page.
    public var description: String {
        switch layout {
        case .unified: "Memory and CPU limits are enforced with control groups (cgroup v2)."
        case .perController: "Memory and CPU limits are enforced with control groups (cgroup v1)."
        case .unavailable(let reason): "Memory and CPU limits are NOT enforced: \(reason)"
        }
    }

    public var isAvailable: Bool {
        if case .unavailable = layout { return false }
        return true
    }

    static func detect(root: String) -> Layout {
        let manager = FileManager.default
        if manager.fileExists(atPath: root + "/cgroup.controllers") {
            let parent = root + "/cygnet"
            try? manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            let controllers = (try? String(contentsOfFile: root + "/cgroup.controllers", encoding: .utf8)) ?? ""
            guard controllers.contains("memory"), controllers.contains("cpu"),
                write("+memory +cpu", to: root + "/cgroup.subtree_control"),
                write("+memory +cpu", to: parent + "/cgroup.subtree_control")
            else {
                return .unavailable("this machine's cgroup v2 tree does not let Cygnet manage memory and cpu.")
            }
            return .unified(root: parent)
        }
        let memory = root + "/memory/cygnet"
        let cpu = root + "/cpu/cygnet"
        let accounting = root + "/cpuacct/cygnet"
        do {
            try manager.createDirectory(atPath: memory, withIntermediateDirectories: true)
            try manager.createDirectory(atPath: cpu, withIntermediateDirectories: true)
        } catch {
            return .unavailable(
                "Cygnet cannot create control groups here (it needs to run as root on a machine with cgroups).")
        }
        let hasAccounting = (try? manager.createDirectory(atPath: accounting, withIntermediateDirectories: true)) != nil
        return .perController(memory: memory, cpu: cpu, cpuAccounting: hasAccounting ? accounting : nil)
    }

    /// Creates (or reuses) the session's group with its limits; returns its name, or nil when limits are unavailable.
    func create(name: String, cores: Int, memoryMB: Int) -> String? {
        let bytes = UInt64(memoryMB) * 1024 * 1024
        let quota = cores * 100_000
        switch layout {
        case .unified(let root):
            let path = root + "/" + name
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard Self.write("\(bytes)", to: path + "/memory.max"),
                Self.write("\(quota) 100000", to: path + "/cpu.max")
            else { return nil }
            _ = Self.write("0", to: path + "/memory.swap.max")
            return name
        case .perController(let memory, let cpu, let accounting):
            for directory in [memory, cpu] + (accounting.map { [$0] } ?? []) {
                try? FileManager.default.createDirectory(
                    atPath: directory + "/" + name, withIntermediateDirectories: true)
            }
            guard Self.write("\(bytes)", to: memory + "/\(name)/memory.limit_in_bytes"),
                Self.write("100000", to: cpu + "/\(name)/cpu.cfs_period_us"),
                Self.write("\(quota)", to: cpu + "/\(name)/cpu.cfs_quota_us")
            else { return nil }
            // Without swap accounting the limit above already holds; with it, swap must not lift the limit.
            _ = Self.write("\(bytes)", to: memory + "/\(name)/memory.memsw.limit_in_bytes")
            return name
        case .unavailable:
            return nil
        }
    }

    /// Moves a process (and so everything it starts later) into the group.
    func add(processID: Int32, to name: String) -> Bool {
        switch layout {
        case .unified(let root):
            return Self.write("\(processID)", to: root + "/\(name)/cgroup.procs")
        case .perController(let memory, let cpu, let accounting):
            let directories = [memory, cpu] + (accounting.map { [$0] } ?? [])
            return directories.allSatisfy { Self.write("\(processID)", to: $0 + "/\(name)/cgroup.procs") }
        case .unavailable:
            return false
        }
    }

    func usage(of name: String) -> ResourceUsage {
        switch layout {
        case .unified(let root):
            let memory = Self.read(root + "/\(name)/memory.current").flatMap { UInt64($0) }
            let stat = Self.read(root + "/\(name)/cpu.stat") ?? ""
            let micros = stat.split(separator: "\n").first { $0.hasPrefix("usage_usec ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
            return ResourceUsage(memoryBytes: memory, cpuSeconds: micros.map { $0 / 1e6 })
        case .perController(let memory, _, let accounting):
            let bytes = Self.read(memory + "/\(name)/memory.usage_in_bytes").flatMap { UInt64($0) }
            let nanos = accounting.flatMap { Self.read($0 + "/\(name)/cpuacct.usage") }.flatMap { Double($0) }
            return ResourceUsage(memoryBytes: bytes, cpuSeconds: nanos.map { $0 / 1e9 })
        case .unavailable:
            return ResourceUsage(memoryBytes: nil, cpuSeconds: nil)
        }
    }

    /// Removes an empty group after its session stopped.
    func remove(_ name: String) {
        switch layout {
        case .unified(let root):
            rmdir(root + "/" + name)
        case .perController(let memory, let cpu, let accounting):
            for directory in [memory, cpu] + (accounting.map { [$0] } ?? []) { rmdir(directory + "/" + name) }
        case .unavailable:
            break
        }
    }

    static func write(_ text: String, to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return text.withCString { pointer in Foundation.write(descriptor, pointer, strlen(pointer)) } >= 0
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
