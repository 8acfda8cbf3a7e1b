import ArgumentParser
import CygnetProxy
import Dispatch
import FoundationEssentials
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct CygnetProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cygnet-proxy",
        abstract: "The front door of Cygnet: the single address students and teachers open.",
        discussion: """
            Everyone reaches Cygnet through this one address. The proxy looks at the path of \
            each request and forwards it to the part of Cygnet that serves it: the login \
            pages, the hub, or a student's own notebook server (for example /user/alice/...). \
            Notebooks keep working as normal, including their live connections to running \
            kernels.

            The hub adds and removes the per-user paths itself while running, through the \
            control API on --api-listen. That API is protected by a secret, taken from the \
            environment variable CYGNET_PROXY_AUTH_TOKEN (or CONFIGPROXY_AUTH_TOKEN); keep it \
            on 127.0.0.1.

            If a part of Cygnet is not running, visitors see a short "not reachable right \
            now" page instead of an error from the browser.
            """
    )

    @Option(help: ArgumentHelp("Address and port users connect to.", valueName: "host:port"))
    var listen = "0.0.0.0:8000"

    @Option(help: ArgumentHelp("Address and port of the control API used by the hub.", valueName: "host:port"))
    var apiListen = "127.0.0.1:8001"

    @Option(
        help: ArgumentHelp("Where requests go that match no other route, e.g. http://127.0.0.1:8081.", valueName: "url")
    )
    var defaultTarget: String?

    @Option(
        name: .customLong("route"),
        help: ArgumentHelp("A fixed route, e.g. /auth=http://127.0.0.1:8002. Repeat for more.", valueName: "prefix=url")
    )
    var routes: [String] = []

    @Flag(help: "Believe X-Forwarded-* headers from clients. Only when another proxy sits in front of this one.")
    var trustForwarded = false

    @Option(
        help: "How much to log: trace, debug, info, notice, warning, error or critical (default: info).",
        transform: { text in
            guard let level = Logger.Level(rawValue: text) else {
                throw ValidationError("unknown log level \(text)")
            }
            return level
        }
    )
    var logLevel: Logger.Level = .info

    @Option(help: "Number of worker threads (default: one per CPU core).")
    var threads: Int?

    @Flag(help: "Stop when the process that started the proxy goes away.")
    var exitWithParent = false

    func run() async throws {
        let configuration = try makeConfiguration()
        let level = logLevel
        // As in StructuredLogHandler: a log line written after `cygnet up` stopped reading must not kill us.
        signal(SIGPIPE, SIG_IGN)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cygnet-proxy")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads ?? System.coreCount)
        let parent = getppid()
        let server: ProxyServer
        do {
            server = try await ProxyServer.start(configuration: configuration, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        logger.info(
            "Cygnet proxy ready",
            metadata: ["listen": "\(server.proxyAddress)", "api": "\(server.apiAddress.map { "\($0)" } ?? "off")"]
        )
        let reason = await ShutdownSignal.wait(watchingParent: exitWithParent ? parent : nil)
        logger.info("Shutting down", metadata: ["reason": "\(reason)"])
        await server.shutdown()
        try await group.shutdownGracefully()
    }

    private func makeConfiguration() throws -> ProxyConfiguration {
        guard let listenAddress = HostAndPort(listen) else {
            throw ValidationError("--listen must look like host:port, e.g. 0.0.0.0:8000")
        }
        guard let apiAddress = HostAndPort(apiListen) else {
            throw ValidationError("--api-listen must look like host:port, e.g. 127.0.0.1:8001")
        }
        var configuration = ProxyConfiguration(listen: listenAddress)
        configuration.apiListen = apiAddress
        configuration.trustForwarded = trustForwarded
        let environment = ProcessInfo.processInfo.environment
        configuration.apiToken = environment["CYGNET_PROXY_AUTH_TOKEN"] ?? environment["CONFIGPROXY_AUTH_TOKEN"]
        guard configuration.apiToken?.isEmpty == false else {
            throw ValidationError("Set CYGNET_PROXY_AUTH_TOKEN to the secret the hub uses for the control API.")
        }
        if let defaultTarget {
            guard let target = UpstreamTarget(url: defaultTarget) else {
                throw ValidationError("--default-target must look like http://host:port, not \(defaultTarget)")
            }
            configuration.defaultTarget = target
        }
        for route in routes {
            guard let equals = route.firstIndex(of: "="),
                let target = UpstreamTarget(url: String(route[route.index(after: equals)...]))
            else {
                throw ValidationError("--route must look like /prefix=http://host:port, not \(route)")
            }
            configuration.routes[String(route[..<equals])] = target
        }
        return configuration
    }
}
