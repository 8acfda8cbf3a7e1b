public import ArgumentParser
import CygnetRuntime
import Foundation
import Logging
import ServiceLifecycle
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
        let authExecutable = try SiblingExecutable.path(named: "cygnet-auth")
        let bootstrap = ApplianceBootstrap(
            stateDirectory: state.stateDirectory, configFile: state.configFile, host: host, port: port,
            publicURL: publicURL)
        var prepared = try await bootstrap.prepareConfiguration()
        try Self.checkPortIsFree(prepared.front)
        try await bootstrap.prepareAccounts(&prepared, console: console)
        let logger = Logger(label: "cygnet") { [settings = prepared.settings] in
            StructuredLogHandler(label: $0, level: settings.logLevel, format: settings.logFormat)
        }
        let probe = HealthProbe(url: prepared.front.authHealthURL)
        let auth = SupervisedProcess(
            name: "cygnet-auth", executable: authExecutable,
            arguments: ["--config", bootstrap.configFile, "--exit-with-parent"],
            environment: prepared.serviceEnvironment, outputPrefix: "[auth] ", isHealthy: { await probe.check() })
        console.print("Starting the sign-in service (cygnet-auth) and waiting for \(probe.url) to answer …")
        let supervisor = ProcessSupervisor(
            process: auth, policy: RestartStateMachine.Policy(), console: console, logger: logger,
            onEvent: { [publicURL = prepared.publicURL] in Self.report($0, publicURL: publicURL, console: console) })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [supervisor], gracefulShutdownSignals: [.sigterm, .sigint, .sighup], logger: logger))
        try await group.run()
        console.print("Cygnet has stopped.")
    }

    /// Fails at once with the reason, rather than letting cygnet-auth fail to listen and retry for a minute.
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

    static func report(_ event: SupervisorEvent, publicURL: String, console: Console) {
        switch event {
        case .stillWaiting(let elapsed):
            console.print("Still waiting for the sign-in service to answer (\(elapsed.components.seconds) s) …")
        case .ready:
            console.print("Cygnet is ready: open \(publicURL)/ and log in as admin.")
        case .started, .recovered, .exited, .restarting:
            break  // The supervisor logs these with their reasons.
        }
    }
}
