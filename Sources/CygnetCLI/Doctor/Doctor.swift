public import ArgumentParser
import CygnetRuntime
import Foundation

/// `cygnet doctor`: checks this machine for what Cygnet needs and says in plain words what to fix.
public struct Doctor: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Check that this machine has what Cygnet needs, and say what to fix.",
        discussion: """
            Checks the settings file and the database, that the port and the three after it are free (or that \
            Cygnet answers on it when it is running), Python 3.9 or newer with venv and JupyterLab in \
            /opt/cygnet/jupyter (for notebook sessions), FUSE (for the software \
            library), free disk space and that the state folder is writable. \
            Each line starts with 'ok' or 'FIX'; the exit status is 0 when everything is ok and 1 otherwise.
            """)

    @OptionGroup var state: StateOptions

    @Option(
        help: ArgumentHelp(
            "Check this port instead of the one in the settings file (default: 8000).", valueName: "port"))
    var port: Int?

    public init() {}

    public func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw CLIError("--port must be a number from 1 to 65535, not \(port).")
        }
    }

    public func run() async throws {
        let console = Console.current
        let (configurationCheck, installation) = await DoctorChecks.configuration(file: state.configFile)
        let configured = installation?.front ?? FrontDoor(host: FrontDoor.defaultHost, port: FrontDoor.defaultPort)
        let front = FrontDoor(host: configured.host, port: port ?? configured.port)
        var checks = [configurationCheck]
        if let installation { checks.append(await DoctorChecks.database(installation.settings)) }
        checks.append(DoctorChecks.port(front))
        checks.append(DoctorChecks.internalPorts(front))
        if PortOwner.find(port: front.port)?.isCygnet == true { checks.append(await DoctorChecks.service(front)) }
        checks += await DoctorChecks.python()
        checks.append(DoctorChecks.sessionEnvironment())
        checks += DoctorChecks.fuse()
        checks.append(DoctorChecks.diskSpace(stateDirectory: state.stateDirectory))
        checks.append(DoctorChecks.stateDirectoryWritable(state.stateDirectory))
        for check in checks { console.print(check.line) }
        if checks.contains(where: { !$0.isOK }) { throw ExitCode.failure }
    }
}
