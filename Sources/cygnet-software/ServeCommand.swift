import ArgumentParser
import CygnetRuntime
import CygnetSoftware
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the repositories over HTTP under /cvmfs/<repository>/ (any web server could do the same).",
        discussion: """
            Objects are sent with long-lived cache headers, the manifest with a short one, so HTTP caches in front \
            work. 'cygnet up' runs this behind the front door.
            """)

    @OptionGroup var location: SoftwareLocation

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8004

    @Flag(help: "Stop when the process that started this one exits (used by 'cygnet up').")
    var exitWithParent = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        StructuredLogHandler.bootstrap(level: .info, format: .text)
        let logger = Logger(label: "cygnet-software")
        let observability = Observability()
        observability.bootstrapMetrics()
        try await RepositoryServer.run(
            repositories: location.repositories, host: host, port: port, observability: observability,
            logger: logger, services: exitWithParent ? [ParentWatch()] : [])
    }
}
