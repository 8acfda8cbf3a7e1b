import CygnetRuntime
import Foundation
public import Logging
import Subprocess
import SystemPackage

/// The embedded default: each session is a local `jupyterhub-singleuser` process. As root, each user gets their own
/// Unix account (`jupyter-<name>`); otherwise every session runs as the hub's own user, in a home folder per user.
public struct LocalProcessSpawner: Spawner {
    let settings: HubSettings.SessionSettings
    let logDirectory: String
    let accounts: UnixAccounts?
    let controlGroups: ControlGroups
    /// One per stack, when sessions run the default command (a custom one is always started afresh).
    let forkServers: ForkServers?
    let logger: Logger

    public init(
        settings: HubSettings.SessionSettings, stacks: [HubSettings.Stack], stateDirectory: String, logger: Logger
    ) {
        self.settings = settings
        self.logDirectory = stateDirectory + "/session-logs"
        self.accounts = settings.unixAccounts ? UnixAccounts(homeRoot: settings.homeRoot) : nil
        self.controlGroups = ControlGroups()
        let useForkServer = settings.forkServer && settings.command == ["jupyterhub-singleuser"]
        self.forkServers = useForkServer ? ForkServers(directory: stateDirectory + "/run", logger: logger) : nil
        self.initialStacks = stacks
        self.logger = logger
    }

    let initialStacks: [HubSettings.Stack]

    /// Starts the fork servers of the stacks known now ahead of the first session, so nobody waits for them.
    public func prepare() async {
        guard let forkServers else { return }
        for stack in initialStacks {
            do {
                try await forkServers.server(for: stack).ensureRunning()
            } catch {
                logger.warning(
                    "no fork server; sessions start without it",
                    metadata: ["stack": "\(stack.name)", "error": "\(error)"])
            }
        }
    }

    public var description: String {
        let who =
            accounts != nil
            ? "Sessions run as local processes, each as its user's own Unix account (jupyter-<name>)."
            : "Sessions run as local processes, all as the same Unix user as Cygnet itself: people's sessions are "
                + "NOT separated from each other (run Cygnet as root to give every user an account of their own)."
        return who + " " + controlGroups.description
    }

    struct Place: Sendable {
        var home: String
        var identity: DetachedProcess.Identity?
        var accountName: String?
    }

    public func start(_ request: SpawnRequest, progress: @Sendable (String) async -> Void) async throws
        -> SpawnerState
    {
        let place = try await prepareHome(for: request.userName)
        if !request.options.startupScript.isEmpty {
            await progress("Running your startup script …")
            try await runStartupScript(request, place: place, progress: progress)
        }
        let port = try FreePort.find()
        let executable = resolve(settings.command[0], in: request.stack)
        var environment = request.environment
        environment["JUPYTERHUB_SERVICE_URL"] = "http://127.0.0.1:\(port)\(request.prefix)"
        environment["HOME"] = place.home
        environment["USER"] = place.accountName ?? ProcessInfo.processInfo.environment["USER"] ?? request.userName
        environment["SHELL"] = "/bin/bash"
        environment["PATH"] = "\(request.stack.prefix)/bin:/usr/local/bin:/usr/bin:/bin"
        environment["LANG"] = "C.UTF-8"
        environment["MEM_LIMIT"] = String(request.options.memoryMB * 1024 * 1024)
        environment["CPU_LIMIT"] = String(request.options.cores)
        var arguments = [executable] + settings.command.dropFirst()
        if getuid() == 0 && place.identity == nil { arguments.append("--allow-root") }
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let logFile = logDirectory + "/" + UnixAccounts.accountName(for: request.userName) + ".log"
        try? Data().write(to: URL(fileURLWithPath: logFile))
        let group = controlGroups.create(
            name: UnixAccounts.accountName(for: request.userName), cores: request.options.cores,
            memoryMB: request.options.memoryMB)
        await progress("Starting JupyterLab from the \(request.stack.name) stack …")
        let (processID, startTime) = try await launch(
            arguments: arguments, environment: environment, place: place, logFile: logFile, stack: request.stack)
        if let group, !controlGroups.add(processID: processID, to: group) {
            logger.warning("could not put a session into its control group", metadata: ["group": "\(group)"])
        }
        return SpawnerState(
            kind: "local-process", host: "127.0.0.1", port: port, processID: processID, processStartTime: startTime,
            unixAccount: place.accountName, controlGroup: group, logFile: logFile)
    }

    /// Through the stack's fork server when there is one (falling back to a fresh process if it fails).
    func launch(
        arguments: [String], environment: [String: String], place: Place, logFile: String, stack: HubSettings.Stack
    ) async throws -> (processID: Int32, startTime: UInt64?) {
        if let server = forkServers?.server(for: stack) {
            do {
                let processID = try await server.spawn(
                    ForkServer.Request(
                        uid: place.identity?.userID, gid: place.identity?.groupID, cwd: place.home,
                        env: environment, argv: ["jupyterhub-singleuser"] + arguments.dropFirst(), log: logFile))
                return (processID, DetachedProcess.startTime(of: processID))
            } catch {
                logger.warning("the fork server failed; starting the session afresh", metadata: ["error": "\(error)"])
            }
        }
        return try DetachedProcess.spawn(
            arguments: arguments, environment: environment, directory: place.home, logFile: logFile,
            identity: place.identity)
    }

    /// `jupyterhub-singleuser` from the stack's `bin` when given without a path.
    func resolve(_ command: String, in stack: HubSettings.Stack) -> String {
        command.contains("/") ? command : stack.prefix + "/bin/" + command
    }

    func prepareHome(for user: String) async throws -> Place {
        if let accounts {
            let account = try await accounts.ensure(user: user)
            return Place(
                home: account.home, identity: .init(userID: account.userID, groupID: account.groupID),
                accountName: account.name)
        }
        let home = settings.homeRoot + "/" + UnixAccounts.accountName(for: user)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return Place(home: home, identity: nil, accountName: nil)
    }

    /// Runs the user's startup script with bash, as the user, in their home. Fails the spawn (showing the output)
    /// if it exits non-zero or runs longer than allowed.
    func runStartupScript(
        _ request: SpawnRequest, place: Place, progress: @Sendable (String) async -> Void
    ) async throws {
        let scriptFile = place.home + "/.cygnet-startup.sh"
        try Data(request.options.startupScript.utf8).write(to: URL(fileURLWithPath: scriptFile))
        defer { try? FileManager.default.removeItem(atPath: scriptFile) }
        var platform = PlatformOptions()
        if let identity = place.identity {
            chown(scriptFile, identity.userID, identity.groupID)
            platform.userID = identity.userID
            platform.groupID = identity.groupID
            platform.supplementaryGroups = []
        }
        platform.processGroupID = 0
        let environment: [Environment.Key: String] = [
            "HOME": place.home, "USER": place.accountName ?? request.userName,
            "PATH": "\(request.stack.prefix)/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
        ]
        let timeout = settings.startupScriptTimeout
        let options = platform
        let home = place.home
        let outcome = try await withThrowingTaskGroup(of: (TerminationStatus, String)?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    .path("/bin/bash"), arguments: [scriptFile], environment: .custom(environment),
                    workingDirectory: .init(home), platformOptions: options,
                    input: .none, output: .string(limit: 256 * 1024), error: .combinedWithOutput)
                return (result.terminationStatus, result.standardOutput)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let (status, output) = outcome else {
            throw SpawnFailure(
                "Your startup script did not finish within \(timeout.components.seconds) seconds, so the session was not started."
            )
        }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in lines.suffix(200) where !line.isEmpty { await progress("startup script: \(line)") }
        guard status.isSuccess else {
            throw SpawnFailure(
                "Your startup script failed (\(status)), so the session was not started. Its output is above.",
                output: Array(lines.suffix(50)))
        }
    }

    public func poll(_ state: SpawnerState) async -> SpawnerStatus {
        guard let processID = state.processID else { return .exited("no process") }
        return DetachedProcess.isAlive(processID: processID, startTime: state.processStartTime)
            ? .running : .exited("the server process ended")
    }

    public func stop(_ state: SpawnerState) async {
        if let processID = state.processID {
            await DetachedProcess.terminate(processID: processID, startTime: state.processStartTime, grace: .seconds(5))
        }
        if let group = state.controlGroup { controlGroups.remove(group) }
    }

    public func usage(_ state: SpawnerState) async -> ResourceUsage? {
        guard let group = state.controlGroup else { return nil }
        return controlGroups.usage(of: group)
    }

    public func recentOutput(_ state: SpawnerState) async -> [String] {
        guard let logFile = state.logFile, let text = try? String(contentsOfFile: logFile, encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").suffix(30).map(String.init)
    }
}

/// A free TCP port on loopback for a session server.
enum FreePort {
    static func find() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw SpawnFailure("No free network port for the session.") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketFD, generic, length) == 0 && getsockname(socketFD, generic, &length) == 0
            }
        }
        guard bound else { throw SpawnFailure("No free network port for the session.") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
