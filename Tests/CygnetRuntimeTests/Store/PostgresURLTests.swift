import Testing

@testable import CygnetRuntime

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("a full TCP URL")
    func tcp() throws {
        let url = try PostgresURL(parsing: "postgres://cygnet:p%40ss@db.example.org:6543/appliance?sslmode=require")
        #expect(url.endpoint == .tcp(host: "db.example.org", port: 6543))
        #expect(url.username == "cygnet")
        #expect(url.password == "p@ss")
        #expect(url.database == "appliance")
        #expect(url.tlsMode == .require)
        #expect(url.redacted == "postgres://cygnet@db.example.org:6543/appliance")
    }

    @Test("defaults: port 5432, TLS preferred, database named after the user")
    func defaults() throws {
        let url = try PostgresURL(parsing: "postgresql://cygnet@localhost")
        #expect(url.endpoint == .tcp(host: "localhost", port: 5432))
        #expect(url.password == nil)
        #expect(url.database == "cygnet")
        #expect(url.tlsMode == .prefer)
        #expect(url.startupParameters.isEmpty)
    }

    @Test("a Unix socket directory in the host parameter")
    func unixSocketDirectory() throws {
        let url = try PostgresURL(parsing: "postgres://cygnet@/appliance?host=/var/run/postgresql&port=5433")
        #expect(url.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5433"))
        #expect(url.tlsMode == .disable)
        #expect(url.redacted == "postgres://cygnet@/appliance?host=/var/run/postgresql/.s.PGSQL.5433")
    }

    @Test("a Unix socket file in the host parameter, and an encoded socket directory as host")
    func unixSocketForms() throws {
        let file = try PostgresURL(parsing: "postgres://u@/d?host=/tmp/pg/.s.PGSQL.7000")
        #expect(file.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.7000"))
        let encoded = try PostgresURL(parsing: "postgres://u@%2Ftmp%2Fpg/d")
        #expect(encoded.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5432"))
    }

    @Test("an IPv6 host")
    func ipv6() throws {
        let url = try PostgresURL(parsing: "postgres://u@[::1]:5432/d?sslmode=disable")
        #expect(url.endpoint == .tcp(host: "::1", port: 5432))
        #expect(url.redacted == "postgres://u@[::1]:5432/d")
    }

    @Test("search_path and application_name become startup parameters")
    func startupParameters() throws {
        let url = try PostgresURL(parsing: "postgres://u@h/d?search_path=t1&application_name=cygnet&connect_timeout=3")
        #expect(url.startupParameters == ["search_path": "t1", "application_name": "cygnet"])
        #expect(url.connectTimeoutSeconds == 3)
        #expect(url.sortedStartupParameters.map(\.0) == ["application_name", "search_path"])
    }

    @Test(
        "malformed URLs are cannotOpen errors that name the problem",
        arguments: [
            ("mysql://u@h/d", "postgres://"),
            ("postgres://u@h/d?sslmode=maybe", "sslmode"),
            ("postgres://u@h/d?port=99999", "port"),
            ("postgres://u@h/d?pool=3", "pool"),
            ("postgres://u@h/d?connect_timeout=soon", "connect_timeout"),
        ]
    )
    func malformed(url: String, mentioned: String) {
        #expect {
            try PostgresURL(parsing: url)
        } throws: { error in
            let error = error as? StoreError
            return error?.code == .cannotOpen && error?.message.contains(mentioned) == true
        }
    }

    @Test("the location's description hides the password")
    func description() {
        let location = DatabaseLocation.postgres(url: "postgres://u:hunter2@h:1/d")
        #expect(location.description == "postgres://u@h:1/d")
        #expect(
            DatabaseLocation.sqlite(path: "/var/lib/cygnet/state.sqlite").description
                == "sqlite:/var/lib/cygnet/state.sqlite")
    }
}
