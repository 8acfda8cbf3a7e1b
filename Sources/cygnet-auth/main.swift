import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation
import Logging

/// `cygnet-auth`: the sign-in service (an OpenID Connect provider). Usually started by `cygnet up`.
@main
struct CygnetAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cygnet-auth",
        abstract: "Run Cygnet's sign-in service (accounts, login page and tokens for the other services).",
        discussion:
            "Normally started for you by 'cygnet up'. Settings come from the configuration file and from CYGNET_… environment variables."
    )

    @Option(name: .long, help: "The appliance configuration file (YAML), e.g. /var/lib/cygnet/cygnet.yaml.")
    var config: String?

    @Flag(help: "Stop when the process that started this one exits (used by 'cygnet up').")
    var exitWithParent = false

    func run() async throws {
        let reader = try await ConfigurationLoader.load(file: config)
        let appliance = try ApplianceSettings(reading: reader)
        let settings = try AuthSettings(reading: reader)
        try reader.rejectUnknownKeys(inSections: [AuthSettings.section] + ApplianceSettings.sections)
        StructuredLogHandler.bootstrap(level: appliance.logLevel, format: appliance.logFormat)
        let observability = Observability()
        observability.bootstrapMetrics()
        try await AuthServer.run(
            appliance: appliance, settings: settings, observability: observability,
            extraServices: exitWithParent ? [ParentWatch()] : [], logger: Logger(label: "cygnet-auth"))
    }
}
