import CygnetRuntime
import Foundation
import ServiceLifecycle
import Subprocess
import SystemPackage

/// The software part of `cygnet up` (`software:` in the settings file): the repository of stacks, served behind
/// the front door under /cvmfs and mounted at `<mount_root>/<repository>` for sessions. On the first run it
/// builds and publishes the default stack.
struct SoftwarePlan: Sendable {
    var enabled: Bool
    var repository: String
    var mountRoot: String
    var directory: String
    var buildDefaultStack: Bool

    var mountPoint: String { "\(mountRoot)/\(repository)" }
    static let mountProcessName = "cygnet-software mount"

    /// The first run: the default stack is to be built and the repository was never published.
    var needsDefaultStack: Bool { buildDefaultStack && !FileManager.default.fileExists(atPath: publishedManifest) }
    var publishedManifest: String { "\(directory)/repositories/\(repository)/.cvmfspublished" }

    init(reading settings: SettingsReader, stateDirectory: String) throws {
        enabled = try settings.bool("software.enabled", default: true)
        repository = try settings.string("software.repository", default: "software.cygnet.local")
        mountRoot = try settings.string("software.mount_root", default: "/cvmfs")
        directory = try settings.string("software.dir", default: stateDirectory + "/software")
        buildDefaultStack = try settings.bool("software.default_stack", default: true)
        guard mountRoot.hasPrefix("/"), directory.hasPrefix("/") else {
            throw CLIError("software.mount_root and software.dir must be absolute paths")
        }
    }

    /// What keeps the software running: the repository server and the mount (root only: FUSE and the stack build
    /// need it). nil when disabled, with the reason printed.
    func processes(executable: String, front: FrontDoor, environment: [String: String], console: Console)
        -> [SupervisedProcess]
    {
        let serverURL = "http://\(front.internalHost):\(front.softwareListenPort)/cvmfs"
        let probe = HealthProbe(url: serverURL + "/healthz")
        let serve = SupervisedProcess(
            name: "cygnet-software", executable: executable,
            arguments: [
                "serve", "--software-dir", directory, "--host", front.internalHost, "--port",
                String(front.softwareListenPort), "--exit-with-parent",
            ],
            environment: environment, outputPrefix: "[software] ", isHealthy: { await probe.check() })
        let mountPoint = self.mountPoint
        let mount = SupervisedProcess(
            name: Self.mountProcessName, executable: executable,
            arguments: ["mount", repository, mountPoint, "--software-dir", directory, "--server", serverURL],
            environment: environment, outputPrefix: "[mount] ", isHealthy: { Self.isMounted(mountPoint) })
        return [serve, mount]
    }

    /// Builds and publishes the default stack when the repository has never been published (the first run).
    func buildDefaultStackIfMissing(executable: String, console: Console) async {
        guard needsDefaultStack else { return }
        console.print(
            "Building the default software stack (first run only): JupyterLab, NumPy, SciPy, pandas, Matplotlib, "
                + "uproot, awkward, hist and ROOT. This downloads about 600 MB and takes a few minutes …")
        do {
            let arguments = [
                "stack", "build", repository, "default", "--software-dir", directory, "--mount-root", mountRoot,
            ]
            let result = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments), input: .none, output: .sequence,
                error: .sequence
            ) { execution in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await ChildOutput.passThrough(execution.standardOutput.strings(), grace: .seconds(5)) {
                            console.print("[stack] " + $0)
                        }
                    }
                    group.addTask {
                        try await ChildOutput.passThrough(execution.standardError.strings(), grace: .seconds(5)) {
                            console.print("[stack] " + $0)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            if !result.terminationStatus.isSuccess {
                console.printError(
                    "The default stack could not be built (see above); sessions use the local Python environment.")
            }
        } catch {
            console.printError("The default stack could not be built: \(error)")
        }
    }

    /// A mount point has another device than its parent folder.
    static func isMounted(_ path: String) -> Bool {
        let parent = (path as NSString).deletingLastPathComponent
        guard let own = try? FileManager.default.attributesOfItem(atPath: path)[.systemNumber] as? Int,
            let above = try? FileManager.default.attributesOfItem(atPath: parent)[.systemNumber] as? Int
        else { return false }
        return own != above
    }
}

/// Runs the first build of the default stack, then the service that needs it (the mount). Stopping `cygnet up`
/// during the build ends the build too.
struct AfterFirstStackBuild: Service {
    let plan: SoftwarePlan
    let executable: String
    let console: Console
    let then: any Service

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await plan.buildDefaultStackIfMissing(executable: executable, console: console)
        }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await then.run()
    }
}
