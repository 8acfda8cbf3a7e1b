import Logging
import PostgresNIO

extension SQLStore {
    static func withPostgresStore<R: Sendable>(
        url: String,
        logger: Logger,
        _ body: @Sendable (SQLStore) async throws -> R
    ) async throws -> R {
        let location = try PostgresURL(parsing: url)
        var logger = logger
        logger[metadataKey: "database"] = "\(location.redacted)"
        try await self.checkPostgresReachable(location, logger: logger)

        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        let store = SQLStore(backend: .postgres(client), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: R.self) { group in
            // Waiting for the child to start keeps the first lease from racing `run()` (the client logs a warning
            // for a lease before `run()`); `run()` marks itself running before its first suspension.
            await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
                group.addTask {
                    started.resume()
                    await client.run()
                }
            }
            defer { group.cancelAll() }  // ends client.run(), which closes the pool's connections
            logger.debug("Opened the PostgreSQL store")
            return try await body(store)
        }
    }

    /// Connects once, so that a wrong address, password or database name fails here with a clear message
    /// (a `PostgresClient` keeps retrying a failing connection and its callers wait forever).
    private static func checkPostgresReachable(_ location: PostgresURL, logger: Logger) async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(),
                id: 0,
                logger: logger
            )
            try await connection.close()
        } catch {
            throw StoreError.cannotOpen(
                "Could not connect to PostgreSQL at \(location.redacted): \(StoreError.summary(of: error)). "
                    + "Check that the server is running, and the URL's host, port, user, password and database.",
                underlying: error
            )
        }
    }
}
