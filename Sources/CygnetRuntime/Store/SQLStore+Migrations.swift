import Logging
import SQLKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension SQLStore {
    /// Applies, in order and each in its own transaction, the migrations of `module` newer than the version recorded
    /// in `schema_migrations`, and records each one.
    ///
    /// Throws ``StoreError/Code/migration`` if the versions are not 1…n without gaps, if the database holds a newer
    /// version of the module than these migrations (it was migrated by a newer Cygnet), or if a migration fails
    /// (that migration is rolled back; the ones before it stay applied). Safe to run from several processes at once.
    public func migrate(module: String, _ migrations: [Migration]) async throws {
        let ordered = try Self.checkedOrder(of: migrations, module: module)
        var logger = self.logger
        logger[metadataKey: "module"] = "\(module)"

        let recorded = try await self.transaction { database in
            try await self.lockMigrations(database)
            try await database.execute(sql: SQLRaw(Self.createMigrationsTable)) { _ in }
            return try await Self.recordedVersion(of: module, in: database)
        }
        try Self.checkNotNewer(recorded: recorded, known: ordered.count, module: module)

        for migration in ordered where migration.version > recorded {
            let applied = try await self.apply(migration, module: module)
            if applied {
                logger.info(
                    "Applied schema migration",
                    metadata: ["version": "\(migration.version)", "name": "\(migration.name)"]
                )
            }
        }
        if recorded == ordered.count {
            logger.debug("Schema is up to date", metadata: ["version": "\(recorded)"])
        }
    }

    static let migrationsTable = "schema_migrations"

    static let createMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            module TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL,
            PRIMARY KEY (module, version)
        )
        """

    /// Any 64-bit number, constant, that no other part of Cygnet uses as an advisory lock key ("Cygnet" in ASCII).
    static let migrationLockKey: Int64 = 0x4379_676E_6574

    /// Returns false if another process applied the migration first.
    private func apply(_ migration: Migration, module: String) async throws -> Bool {
        do {
            return try await self.transaction { database in
                try await self.lockMigrations(database)
                let recorded = try await Self.recordedVersion(of: module, in: database)
                guard recorded < migration.version else { return false }
                for statement in migration.statements(for: self.dialect) {
                    try await database.execute(sql: SQLRaw(statement)) { _ in }
                }
                try await database.insert(into: Self.migrationsTable)
                    .columns("module", "version", "name", "applied_at")
                    .values(
                        SQLBind(module),
                        SQLBind(migration.version),
                        SQLBind(migration.name),
                        SQLBind(Int64(Date().timeIntervalSince1970))
                    )
                    .run()
                return true
            }
        } catch let error as StoreError where error.code == .migration {
            throw error
        } catch {
            let reason = (error as? StoreError)?.message ?? String(describing: error)
            throw StoreError.migration(
                "Migration \(migration.version) (\(migration.name)) of module '\(module)' failed and was rolled back: "
                    + "\(reason) The database stays at version \(migration.version - 1) of this module.",
                underlying: error
            )
        }
    }

    /// Serializes migrations across processes. SQLite's `BEGIN IMMEDIATE` already holds the database's write lock;
    /// PostgreSQL needs an advisory lock, held until the transaction ends.
    private func lockMigrations(_ database: any SQLDatabase) async throws {
        guard self.dialect == .postgres else { return }
        try await database.raw("SELECT pg_advisory_xact_lock(\(bind: Self.migrationLockKey))").run()
    }

    private static func recordedVersion(of module: String, in database: any SQLDatabase) async throws -> Int {
        try await database.raw(
            "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE module = \(bind: module)"
        ).first(decodingColumn: "version", as: Int.self) ?? 0
    }

    private static func checkedOrder(of migrations: [Migration], module: String) throws(StoreError) -> [Migration] {
        guard !module.isEmpty else {
            throw .migration("Migrations need a module name.")
        }
        let ordered = migrations.sorted { $0.version < $1.version }
        let versions = ordered.map(\.version)
        guard versions == Array(1..<(versions.count + 1)) else {
            let listed = versions.map(String.init).joined(separator: ", ")
            throw .migration(
                "The migrations of module '\(module)' have versions \(listed); they must be numbered 1, 2, 3 … "
                    + "without gaps or repeats. This is a bug in Cygnet, not in the database."
            )
        }
        return ordered
    }

    private static func checkNotNewer(recorded: Int, known: Int, module: String) throws(StoreError) {
        guard recorded <= known else {
            throw .migration(
                "The database was migrated by a newer Cygnet: module '\(module)' is at schema version \(recorded), "
                    + "but this Cygnet knows versions up to \(known). Run the newer Cygnet, "
                    + "or restore a backup taken before the upgrade."
            )
        }
    }
}
