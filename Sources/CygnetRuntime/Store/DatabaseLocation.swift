/// Where the shared SQL store lives: an embedded SQLite file (the default, one file in the state directory)
/// or a PostgreSQL server (for larger installations).
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite database file; the parent directory is created if missing. `":memory:"` gives a private
    /// in-memory database, for tests.
    case sqlite(path: String)
    /// A PostgreSQL server, as a libpq-style URL:
    /// `postgres://user:password@host:port/database?sslmode=disable`.
    ///
    /// Query parameters: `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`, as in libpq;
    /// `prefer` by default over TCP), `host` (a Unix socket directory such as `/var/run/postgresql`, or the socket file
    /// itself), `port`, `connect_timeout` (seconds), `application_name`, and `search_path` (sent as a startup
    /// parameter, e.g. to keep tests in their own schema). Without a user name the process's user is used, as libpq
    /// does.
    case postgres(url: String)
}

/// The SQL dialect a store speaks, for the rare query that must differ between the two.
public enum SQLStoreDialect: Sendable {
    case sqlite
    case postgres
}

extension DatabaseLocation: CustomStringConvertible {
    /// The location with any password removed, safe for logs and error messages.
    public var description: String {
        switch self {
        case .sqlite(let path):
            return "sqlite:\(path)"
        case .postgres(let url):
            return (try? PostgresURL(parsing: url))?.redacted ?? "postgres:(unparsable URL)"
        }
    }
}
