public import CygnetRuntime
import CygnetStorage
import Foundation
public import Hummingbird
public import Logging
import SQLKit
public import ServiceLifecycle

/// Assembles cygnet-hub: pages, the JupyterHub REST API, sign-in, session management and idle culling.
public enum HubServer {
    public static func router(context: HubContext, observability: Observability, store: SQLStore) throws
        -> Router<HubRequestContext>
    {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: VersionHeaderMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        let pages = try HubPages()
        let resolver = IdentityResolver(context: context)
        let hub = router.group("hub")
        let api = hub.group("api")
        LoginController(context: context, pages: pages).addRoutes(to: hub)
        OAuthProvider(context: context, resolver: resolver, pages: pages).addRoutes(to: api)
        UsersAPI(context: context, resolver: resolver).addRoutes(to: api)
        ServerAPI(context: context, resolver: resolver).addRoutes(to: api)
        TokensAPI(context: context, resolver: resolver).addRoutes(to: api)
        let pagesController = PagesController(context: context, resolver: resolver, pages: pages)
        pagesController.addRoutes(to: router)
        AdminController(
            context: context, pagesController: pagesController,
            accounts: AuthAdminClient(settings: context.settings, httpClient: context.httpClient)
        ).addRoutes(to: router)
        SyncController(
            context: context, pagesController: pagesController, passwords: AppPasswordStore(store: store)
        ).addRoutes(to: router)
        observability.addRoutes(to: hub) {
            _ = try await store.read { db in try await db.raw("SELECT 1").all() }
        }
        return router
    }

    /// Stops every session the database knows of (for `cygnet up` when the appliance stops).
    public static func stopAllSessions(appliance: ApplianceSettings, settings: HubSettings, logger: Logger)
        async throws
    {
        try await SQLStore.withStore(appliance.database, logger: logger) { store in
            try await store.migrate(module: HubMigrations.module, HubMigrations.all)
            let users = HubUserStore(store: store)
            let tokens = TokenStore(store: store)
            let spawner = LocalProcessSpawner(
                settings: settings.sessions, stacks: [], stateDirectory: appliance.stateDirectory, logger: logger)
            for server in try await users.servers() {
                await spawner.stop(server.spawnerState)
                try await users.removeServer(user: server.userName, server: server.serverName)
                try await tokens.removeClient(id: SessionManager.clientID(for: server.userName))
            }
        }
    }

    /// Runs cygnet-hub until SIGTERM or SIGINT. Running sessions are left running for the next start to adopt.
    public static func run(
        appliance: ApplianceSettings, settings: HubSettings, observability: Observability,
        extraServices: [any Service] = [], logger: Logger
    ) async throws {
        try await SQLStore.withStore(appliance.database, logger: logger) { store in
            try await store.migrate(module: HubMigrations.module, HubMigrations.all)
            // The app-password page writes the storage service's table.
            try await StorageSchema.migrate(store)
            let tokens = TokenStore(store: store)
            for service in settings.services {
                try await tokens.register(
                    secret: service.token, service: service.name, scopes: service.scopes, now: Timestamps.now())
            }
            let proxy = ProxyClient(apiURL: settings.proxyAPIURL, token: settings.proxyAuthToken)
            let spawner = LocalProcessSpawner(
                settings: settings.sessions, stacks: settings.stacks, stateDirectory: appliance.stateDirectory,
                logger: logger)
            let sessions = SessionManager(
                settings: settings, appliance: appliance, spawner: spawner, store: store, proxy: proxy, logger: logger)
            let context = HubContext(
                settings: settings, appliance: appliance, store: store, sessions: sessions, logger: logger)
            let app = Application(
                router: try router(context: context, observability: observability, store: store),
                configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "cygnet-hub"),
                services: [sessions, IdleCuller(context: context, proxy: proxy)] + extraServices,
                logger: logger)
            logger.info(
                "cygnet-hub listening", metadata: ["port": "\(settings.port)", "sessions": "\(spawner.description)"])
            try await app.runService()
        }
    }
}
