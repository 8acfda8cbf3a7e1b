public import ArgumentParser
import CygnetRuntime
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `cygnet up`: runs the whole appliance on this machine in the foreground, with nothing to configure first.
public struct Up: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Run Cygnet on this machine (sets it up the first time).",
        discussion: """
            The first run creates the state folder, a settings file (cygnet.yaml) and an administrator account \
            called 'admin', whose password is printed once. Later runs reuse all of them. Cygnet runs until you \
            press Ctrl-C; if one of its parts stops, it is started again.

            --host, --port and --public-url are saved in the settings file on the first run; given again later, \
            they apply to that run only (edit cygnet.yaml to change them for good).
            """)

    @OptionGroup var state: StateOptions

    @Option(
        help: ArgumentHelp(
            "The network address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 to let other computers "
                + "connect. (default: 127.0.0.1)",
            valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("The port to listen on. (default: 8000)", valueName: "port"))
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "The address people open in their browser, if it is not http://HOST:PORT (for example behind a "
                + "school's web server: https://notebooks.school.example).",
            valueName: "url"))
    var publicURL: String?

    public init() {}

    public func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw CLIError("--port must be a number from 1 to 65535, not \(port).")
        }
        if let host, host.isEmpty || host.contains(where: \.isWhitespace) {
            throw CLIError("--host must be an address such as 127.0.0.1 or 0.0.0.0.")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                url.query == nil, url.fragment == nil
            else {
                throw CLIError(
                    "--public-url must be an http:// or https:// address such as https://notebooks.school.example.")
            }
        }
    }

    public func run() async throws {
        let console = Console.current
        let executables = try ["cygnet-auth", "cygnet-hub", "cygnet-proxy", "cygnet-storage"].map {
            try SiblingExecutable.path(named: $0)
        }
        let bootstrap = ApplianceBootstrap(
            stateDirectory: state.stateDirectory, configFile: state.configFile, host: host, port: port,
            publicURL: publicURL)
        var prepared = try await bootstrap.prepareConfiguration()
        try Self.checkPortsAreFree(prepared.front)
        if prepared.software.enabled && getuid() != 0 {
            console.print(
                "Software stacks are off: mounting them needs root. Sessions use the local Python environment.")
            prepared.software.enabled = false
        }
        if prepared.software.enabled {
            try Self.checkPortIsFree(port: prepared.front.softwareListenPort, front: prepared.front)
        }
        try await bootstrap.prepareAccounts(&prepared, console: console)
        let logger = Logger(label: "cygnet") { [settings = prepared.settings] in
            StructuredLogHandler(label: $0, level: settings.logLevel, format: settings.logFormat)
        }
        var software: [SupervisedProcess] = []
        var softwareExecutable = ""
        if prepared.software.enabled {
            softwareExecutable = try SiblingExecutable.path(named: "cygnet-software")
            software = prepared.software.processes(
                executable: softwareExecutable, front: prepared.front, environment: prepared.serviceEnvironment,
                console: console)
        }
        let processes = ApplianceProcesses(
            prepared: prepared, configFile: bootstrap.configFile, auth: executables[0], hub: executables[1],
            proxy: executables[2], storage: executables[3], software: software)
        console.print(
            "Starting Cygnet: the sign-in service, the hub, the file storage, the front door (proxy)"
                + (software.isEmpty ? "" : " and the software repository") + " …")
        // On the first run the default stack is built while the rest already serves (sessions use the local
        // Python environment meanwhile); its mount starts once it is published, and is not waited for.
        let buildsStack = prepared.software.enabled && prepared.software.needsDefaultStack
        let mountName = SoftwarePlan.mountProcessName
        let board = ReadinessBoard(expected: processes.all.map(\.name).filter { !buildsStack || $0 != mountName })
        let stackBoard = ReadinessBoard(expected: [mountName])
        let services: [any Service] = processes.all.map { process in
            let supervisor = ProcessSupervisor(
                process: process, policy: RestartStateMachine.Policy(), console: console, logger: logger,
                onEvent: { [publicURL = prepared.publicURL, mountPoint = prepared.software.mountPoint] event in
                    if process.name == mountName, case .ready = event, buildsStack, stackBoard.markReady(mountName) {
                        console.print(
                            "The default software stack is mounted at \(mountPoint); the session form offers it now.")
                    }
                    Self.report(event, of: process.name, board: board, publicURL: publicURL, console: console)
                })
            guard buildsStack, process.name == mountName else { return supervisor }
            return AfterFirstStackBuild(
                plan: prepared.software, executable: softwareExecutable, console: console, then: supervisor)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint, .sighup],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await processes.stopSessions(console: console)
            throw error
        }
        await processes.stopSessions(console: console)
        console.print("Cygnet has stopped.")
    }

    /// Fails at once with the reason, rather than letting a service fail to listen and retry for a minute.
    static func checkPortsAreFree(_ front: FrontDoor) throws {
        try checkPortIsFree(front)
        for port in front.internalPorts where PortProbe.canListen(host: front.internalHost, port: port) != .free {
            let owner = PortOwner.find(port: port)
            let by = owner.map { " by \($0.command) (process \($0.processID))" } ?? " by another program"
            throw CLIError(
                "port \(port) on this machine is in use\(by); Cygnet needs the five ports after its own port "
                    + "(\(front.port)) for its parts. Start Cygnet with --port and another port, e.g. --port \(front.port + 10)."
            )
        }
    }

    static func checkPortIsFree(port: Int, front: FrontDoor) throws {
        guard PortProbe.canListen(host: front.internalHost, port: port) != .free else { return }
        let owner = PortOwner.find(port: port).map { " by \($0.command) (process \($0.processID))" } ?? ""
        throw CLIError(
            "port \(port) on this machine is in use\(owner); Cygnet serves its software repository there. Start "
                + "Cygnet with --port and another port, or turn software off (software: enabled: false in cygnet.yaml)."
        )
    }

    static func checkPortIsFree(_ front: FrontDoor) throws {
        switch PortProbe.canListen(host: front.host, port: front.port) {
        case .free:
            return
        case .inUse:
            let owner = PortOwner.find(port: front.port)
            let by = owner.map { " by \($0.command) (process \($0.processID))" } ?? " by another program"
            let advice =
                owner?.isCygnet == true
                ? "Cygnet seems to be running already; stop it first, or start this one with --port and another port"
                : "stop that program, or start Cygnet with --port and another port, e.g. --port \(front.port + 1)"
            throw CLIError("port \(front.port) on \(front.host) is already in use\(by); \(advice).")
        case .unavailable(let reason):
            throw CLIError(
                "cannot listen on \(front.host):\(front.port): \(reason); use --host 127.0.0.1 (this machine only) "
                    + "or --host 0.0.0.0 (all networks).")
        }
    }

    static func report(
        _ event: SupervisorEvent, of name: String, board: ReadinessBoard, publicURL: String, console: Console
    ) {
        switch event {
        case .stillWaiting(let elapsed):
            console.print("Still waiting for \(name) to answer (\(elapsed.components.seconds) s) …")
        case .ready:
            if board.markReady(name) {
                console.print("Cygnet is ready: open \(publicURL)/ and log in as admin.")
            }
        case .started, .recovered, .exited, .restarting:
            break  // The supervisor logs these with their reasons.
        }
    }
}

/// Which services have answered once; the appliance is ready when all have.
final class ReadinessBoard: Sendable {
    private let state: Mutex<(expected: Set<String>, ready: Set<String>, announced: Bool)>

    init(expected: [String]) {
        state = Mutex((Set(expected), [], false))
    }

    /// Records that `name` answers; true exactly once, when the last one does.
    func markReady(_ name: String) -> Bool {
        state.withLock { state in
            state.ready.insert(name)
            guard !state.announced, state.ready.isSuperset(of: state.expected) else { return false }
            state.announced = true
            return true
        }
    }
}
