public import CygnetRuntime
import Foundation
public import Hummingbird
public import Logging
import SQLKit
public import ServiceLifecycle

/// Assembles cygnet-auth: every endpoint under `/auth`, health and metrics, and the maintenance task that rotates
/// keys and purges expired codes and tokens.
public enum AuthServer {
    /// Builds the router; `context` must have had its keys loaded (`prepare`).
    public static func router(context: AuthContext, observability: Observability, store: SQLStore) throws
        -> Router<AuthRequestContext>
    {
        let router = Router(context: AuthRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        let pages = try PageRenderer()
        let auth = router.group("auth")
        DiscoveryController(context: context).addRoutes(to: auth)
        AuthorizeController(context: context, pages: pages).addRoutes(to: auth)
        TokenController(context: context).addRoutes(to: auth)
        TokenInformationController(context: context).addRoutes(to: auth)
        SessionController(context: context, pages: pages).addRoutes(to: auth)
        AdminController(context: context).addRoutes(to: auth)
        observability.addRoutes(to: auth) {
            _ = try await store.read { db in try await db.raw("SELECT 1").all() }
        }
        router.get("") { _, _ in Response(status: .found, headers: [.location: "/auth/"]) }
        return router
    }

    /// Migrates the schema, registers configured clients and loads (or creates) signing keys.
    public static func prepare(context: AuthContext, store: SQLStore) async throws {
        try await AuthSchema.migrate(store)
        try await context.registerConfiguredClients()
        try await context.keys.refresh(now: AuthContext.now())
    }

    /// Runs cygnet-auth until SIGTERM or SIGINT; then stops accepting requests and drains.
    public static func run(
        appliance: ApplianceSettings, settings: AuthSettings, observability: Observability,
        extraServices: [any Service] = [], logger: Logger
    ) async throws {
        try await SQLStore.withStore(appliance.database, logger: logger) { store in
            let context = AuthContext(appliance: appliance, settings: settings, store: store, logger: logger)
            try await prepare(context: context, store: store)
            let app = Application(
                router: try router(context: context, observability: observability, store: store),
                configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "cygnet-auth"),
                services: [AuthMaintenance(context: context)] + extraServices,
                logger: logger)
            logger.info("cygnet-auth listening", metadata: ["issuer": "\(context.issuer)", "port": "\(settings.port)"])
            try await app.runService()
        }
    }
}

/// Hourly: rotate the signing key when it is due, drop expired codes and refresh tokens.
struct AuthMaintenance: Service {
    let context: AuthContext

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The hour-long wait must end on SIGTERM; otherwise the service group waits for it before exiting.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
            } catch {
                return
            }
            do {
                let now = AuthContext.now()
                try await context.keys.refresh(now: now)
                try await context.grants.purgeExpired(now: now)
            } catch {
                context.logger.error("maintenance failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
