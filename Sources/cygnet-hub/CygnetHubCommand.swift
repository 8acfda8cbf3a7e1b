import ArgumentParser
import CygnetHub
import CygnetRuntime
import Logging

/// `cygnet-hub`: signs people in, starts their JupyterLab sessions and serves the JupyterHub REST API.
@main
struct CygnetHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cygnet-hub",
        abstract: "Run Cygnet's hub: the home page, the session form, people's JupyterLab sessions and the hub API.",
        discussion:
            "Normally started for you by 'cygnet up'. Settings come from the configuration file and from CYGNET_… environment variables."
    )

    @Option(name: .long, help: "The appliance configuration file (YAML), e.g. /var/lib/cygnet/cygnet.yaml.")
    var config: String?

    @Flag(help: "Stop when the process that started this one exits (used by 'cygnet up'). Sessions keep running.")
    var exitWithParent = false

    @Flag(help: "Stop every running session and exit (cygnet up does this when it stops).")
    var stopSessions = false

    func run() async throws {
        let reader = try await ConfigurationLoader.load(file: config)
        let appliance = try ApplianceSettings(reading: reader)
        let settings = try HubSettings(reading: reader, appliance: appliance)
        try reader.rejectUnknownKeys(inSections: [HubSettings.section] + ApplianceSettings.sections)
        StructuredLogHandler.bootstrap(level: appliance.logLevel, format: appliance.logFormat)
        let logger = Logger(label: "cygnet-hub")
        if stopSessions {
            try await HubServer.stopAllSessions(appliance: appliance, settings: settings, logger: logger)
            return
        }
        let observability = Observability()
        observability.bootstrapMetrics()
        try await HubServer.run(
            appliance: appliance, settings: settings, observability: observability,
            extraServices: exitWithParent ? [ParentWatch()] : [], logger: logger)
    }
}
