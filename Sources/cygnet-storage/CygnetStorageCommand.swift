import ArgumentParser
import CygnetRuntime
import CygnetStorage
import Logging

/// `cygnet-storage`: every user's files over WebDAV, for sync clients and sessions.
@main
struct CygnetStorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cygnet-storage",
        abstract: "Run Cygnet's storage: each user's files over WebDAV, for desktop sync clients and rclone.",
        discussion:
            "Normally started for you by 'cygnet up'. Settings come from the configuration file and from CYGNET_… environment variables.",
        subcommands: [Serve.self, AppPasswordCommand.self],
        defaultSubcommand: Serve.self
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The appliance configuration file (YAML), e.g. /var/lib/cygnet/cygnet.yaml.")
        var config: String?

        func load() async throws -> (ApplianceSettings, StorageSettings) {
            let reader = try await ConfigurationLoader.load(file: config)
            let appliance = try ApplianceSettings(reading: reader)
            let settings = try StorageSettings(reading: reader, appliance: appliance)
            try reader.rejectUnknownKeys(inSections: [StorageSettings.section] + ApplianceSettings.sections)
            StructuredLogHandler.bootstrap(level: appliance.logLevel, format: appliance.logFormat)
            return (appliance, settings)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve the files (the default).")

        @OptionGroup var options: Options

        @Flag(help: "Stop when the process that started this one exits (used by 'cygnet up').")
        var exitWithParent = false

        func run() async throws {
            let (appliance, settings) = try await options.load()
            let observability = Observability()
            observability.bootstrapMetrics()
            try await StorageServer.run(
                appliance: appliance, settings: settings, observability: observability,
                extraServices: exitWithParent ? [ParentWatch()] : [], logger: Logger(label: "cygnet-storage"))
        }
    }

    struct AppPasswordCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "app-password",
            abstract: "Make app passwords: what a desktop sync client or rclone signs in with.",
            subcommands: [Add.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make an app password for a user and print it (it is shown only once).")

            @OptionGroup var options: Options

            @Argument(help: "The user the password is for.")
            var user: String

            @Option(help: "A name to recognise it by later, e.g. 'laptop'.")
            var label = "app password"

            func run() async throws {
                let (appliance, settings) = try await options.load()
                let password = try await StorageServer.createAppPassword(
                    appliance: appliance, settings: settings, user: user, label: label,
                    logger: Logger(label: "cygnet-storage"))
                print(password)
            }
        }
    }
}
