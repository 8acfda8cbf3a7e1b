public import CygnetRuntime
public import Foundation
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// `cygnet-software serve`: plain HTTP GET (and HEAD, ranges, conditional requests) of the repositories folder
/// under `/cvmfs/<repository>/…`, the path clients and the front door use.
public enum RepositoryServer {
    public static func run(
        repositories: URL, host: String, port: Int, observability: Observability, logger: Logger,
        services: [any Service] = []
    ) async throws {
        logger.info("serving software repositories", metadata: ["folder": "\(repositories.path)", "port": "\(port)"])
        try await application(
            repositories: repositories, host: host, port: port, observability: observability, logger: logger,
            services: services
        ).runService()
    }

    public static func application(
        repositories: URL, host: String, port: Int, observability: Observability, logger: Logger,
        services: [any Service] = []
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: RepositoryCacheHeaders())
        router.add(
            middleware: FileMiddleware(
                fileProvider: RepositoryFileProvider(root: repositories.path, logger: logger), urlBasePath: "/cvmfs"))
        observability.addRoutes(to: router.group("cvmfs"), readiness: {})
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "cygnet-software"),
            services: services, logger: logger)
    }
}
