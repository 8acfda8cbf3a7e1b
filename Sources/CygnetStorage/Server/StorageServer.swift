import CLinux
public import CygnetRuntime
import Foundation
public import Hummingbird
public import Logging
public import NIOPosix
import SQLKit
public import ServiceLifecycle

/// Assembles cygnet-storage: WebDAV over each user's space, the OCS endpoints sync clients call first, and health.
public enum StorageServer {
    static func router(
        settings: StorageSettings, publicURL: String, store: SQLStore, spaces: SpaceDirectory,
        authenticator: StorageAuthenticator, instanceID: String, fileWork: FileWork, journal: UploadJournal?,
        index: FileIndex, checksums: DeferredChecksums, observability: Observability, logger: Logger
    ) throws -> Router<StorageRequestContext> {
        let shares = ShareStore(store: store)
        let quota = QuotaTracker(
            store: store, defaultLimit: settings.defaultQuota, groupLimits: settings.groupQuotas,
            groups: authenticator.groups)
        let router = Router(context: StorageRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        let controller = DAVController(
            spaces: spaces, index: index, properties: PropertyStore(store: store),
            locks: LockManager(), quota: quota, shareStore: shares,
            trash: settings.trashDays > 0
                ? TrashBin(spacesRoot: settings.root, store: store, keepDays: settings.trashDays, fileWork: fileWork)
                : nil,
            versions: settings.versionsKept > 0
                ? VersionStore(spacesRoot: settings.root, keep: settings.versionsKept) : nil,
            checksums: checksums, instanceID: instanceID, fileWork: fileWork, journal: journal, limits: settings.limits,
            logger: logger)
        router.add(middleware: DAVMiddleware(controller: controller, authenticator: authenticator))
        OCSController(authenticator: authenticator, spaces: spaces, quota: quota).addRoutes(to: router)
        try LinkPageController(
            controller: controller, shares: shares, passwords: authenticator.linkPasswords
        ).addRoutes(to: router)
        ShareController(
            authenticator: authenticator, spaces: spaces, shares: shares,
            index: index,
            instanceID: instanceID, publicURL: publicURL
        ).addRoutes(to: router)
        observability.addRoutes(to: router.group("storage")) {
            _ = try await store.read { db in try await db.raw("SELECT 1").all() }
        }
        return router
    }

    /// Runs cygnet-storage until SIGTERM or SIGINT.
    public static func run(
        appliance: ApplianceSettings, settings: StorageSettings, observability: Observability,
        extraServices: [any Service] = [], logger: Logger
    ) async throws {
        cygnet_mallopt(CYGNET_M_ARENA_MAX, 2)
        let spaces = SpaceDirectory(root: settings.root, unixAccounts: settings.unixAccounts)
        try spaces.prepare()
        ChunkedUploadArea(staging: spaces.staging).removeAbandoned(now: Int64(Date().timeIntervalSince1970))
        try await SQLStore.withStore(appliance.database, logger: logger) { store in
            try await store.migrate(module: StorageMigrations.module, StorageMigrations.all)
            let instanceID = try await Self.instanceID(store: store)
            let verifier =
                settings.authIssuer.isEmpty
                ? nil
                : TokenVerifier(
                    issuer: settings.authIssuer, audience: settings.tokenAudience, jwksURL: settings.authJWKSURL,
                    logger: logger)
            let directory =
                settings.clientSecret.isEmpty
                ? nil
                : GroupDirectory(
                    authURL: settings.authURL,
                    credentials: ClientCredentials(
                        tokenURL: settings.authURL + "/token", clientID: settings.clientID,
                        clientSecret: settings.clientSecret, scope: "cygnet:admin"),
                    logger: logger)
            let authenticator = StorageAuthenticator(
                appPasswords: AppPasswordStore(store: store), tokens: verifier, shares: ShareStore(store: store),
                groups: directory)
            // Big uploads write and hash each batch on these threads in parallel.
            let fileIO = NIOThreadPool(numberOfThreads: 16)
            fileIO.start()
            let spaces = SpaceDirectory(root: settings.root, unixAccounts: settings.unixAccounts)
            // Opened even when switched off: what an earlier run left in it is recovered all the same.
            let journal: UploadJournal?
            do {
                journal = try UploadJournal(folder: spaces.journal)
            } catch let error as StorageError where error.code == .locked {
                logger.warning(
                    "Another cygnet-storage shares this storage root and its upload journal; this one saves each upload to disk itself",
                    metadata: ["journal": "\(spaces.journal)"])
                journal = nil
            }
            // The journal uploads use: none when switched off.
            let uploadJournal = settings.journalCheckpointSeconds > 0 ? journal : nil
            // Uploads wait on the disk (fdatasync), so more threads than cores keep the disk busy.
            try await FileThreads.run(threads: 16) { threads in
                let fileWork = FileWork(threads: threads, pool: fileIO)
                // One index for recovery, uploads and checksums: the rows it holds in memory must be seen by all.
                let index = FileIndex(store: store, fileWork: fileWork, journal: uploadJournal)
                let checkpoints: [any Service] =
                    uploadJournal.map {
                        [
                            JournalCheckpoints(
                                journal: $0, index: index, logger: logger,
                                age: .seconds(settings.journalCheckpointSeconds))
                        ]
                    } ?? []
                if let journal {
                    try await UploadRecovery(
                        journal: journal, spaces: spaces, index: index, fileWork: fileWork, logger: logger
                    ).run()
                }
                let checksums = DeferredChecksums(index: index, spaces: spaces, logger: logger)
                let app = Application(
                    router: try router(
                        settings: settings, publicURL: appliance.publicURL, store: store, spaces: spaces,
                        authenticator: authenticator, instanceID: instanceID, fileWork: fileWork,
                        journal: uploadJournal, index: index,
                        checksums: checksums, observability: observability, logger: logger),
                    server: .http1(
                        configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(), FileRegionHandler()])),
                    configuration: .init(
                        address: .hostname(settings.host, port: settings.port), serverName: "cygnet-storage"),
                    services: extraServices + [checksums] + checkpoints,
                    logger: logger)
                logger.info(
                    "cygnet-storage listening", metadata: ["port": "\(settings.port)", "spaces": "\(settings.root)"])
                try await app.runService()
            }
            try await fileIO.shutdownGracefully()
        }
    }

    /// Creates an app password for `user` (and their space) and returns the password, shown once.
    public static func createAppPassword(
        appliance: ApplianceSettings, settings: StorageSettings, user: String, label: String, logger: Logger
    ) async throws -> String {
        guard AccountName.isValid(user) else {
            throw StorageError(.badRequest, "\(user) is not a valid user name (a–z, 0–9, '.', '_', '-')")
        }
        let spaces = SpaceDirectory(root: settings.root, unixAccounts: settings.unixAccounts)
        try spaces.prepare()
        _ = try await spaces.space(for: user)
        return try await SQLStore.withStore(appliance.database, logger: logger) { store in
            try await store.migrate(module: StorageMigrations.module, StorageMigrations.all)
            let (_, password) = try await AppPasswordStore(store: store).create(
                userName: user, label: label, now: Int64(Date().timeIntervalSince1970))
            return password
        }
    }

    /// This installation's id, the suffix of every `oc:id` (made once, kept in the database).
    static func instanceID(store: SQLStore) async throws -> String {
        try await store.transaction { db in
            if let existing = try await db.raw("SELECT value FROM storage_settings WHERE name = 'instance_id'")
                .first(decodingColumn: "value", as: String.self)
            {
                return existing
            }
            let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
            let id = "oc" + String((0..<10).map { _ in alphabet.randomElement()! })
            try await db.raw("INSERT INTO storage_settings (name, value) VALUES ('instance_id', \(bind: id))").run()
            return id
        }
    }
}
