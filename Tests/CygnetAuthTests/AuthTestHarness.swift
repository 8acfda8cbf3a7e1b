import CygnetAuth
import CygnetRuntime
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import Testing

/// An in-process cygnet-auth on a throwaway SQLite file, with cheap password hashing, one user and two clients.
struct AuthTestHarness {
    static let publicClient = "notebook-app"
    static let confidentialClient = "course-site"
    static let secret = "course-site-secret-0123456789"
    static let redirect = "http://127.0.0.1:9999/callback"
    static let password = "correct horse battery"

    static func settings(extra: [String: String] = [:]) throws -> (ApplianceSettings, AuthSettings) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cygnet-auth-\(UUID())").path
        var values = [
            "public_url": "http://127.0.0.1:8000", "state_dir": directory,
            "auth.password_hashing.cost_log2": "10",
            "auth.clients.\(confidentialClient).secret": secret,
            "auth.clients.\(confidentialClient).redirect_uris": redirect,
            "auth.clients.\(confidentialClient).post_logout_redirect_uris": "http://127.0.0.1:9999/bye",
            "auth.clients.\(confidentialClient).client_credentials": "true",
            "auth.clients.\(confidentialClient).scopes": "openid,profile,email,groups,offline_access,cygnet:admin",
            "auth.clients.\(publicClient).public": "true",
            "auth.clients.\(publicClient).redirect_uris": redirect,
        ]
        values.merge(extra) { _, new in new }
        let reader = SettingsReader(values: values)
        return (try ApplianceSettings(reading: reader), try AuthSettings(reading: reader))
    }

    /// The databases to run the flow tests on: SQLite always, PostgreSQL when `CYGNET_TEST_POSTGRES_URL` is set.
    static var databases: [String] {
        ["sqlite"] + (ProcessInfo.processInfo.environment["CYGNET_TEST_POSTGRES_URL"].map { _ in ["postgres"] } ?? [])
    }

    static func withServer<R: Sendable>(
        extra: [String: String] = [:], database: String = "sqlite",
        _ body: @Sendable (any TestClientProtocol, AuthContext) async throws -> R
    ) async throws -> R {
        guard database == "postgres", let url = ProcessInfo.processInfo.environment["CYGNET_TEST_POSTGRES_URL"] else {
            return try await withServerOn(extra: extra, body)
        }
        // Each run gets a schema of its own, dropped afterwards.
        let schema = "cygnet_auth_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try await run("CREATE SCHEMA \(schema)", at: url)
        let separator = url.contains("?") ? "&" : "?"
        var settings = extra
        settings["database.url"] = "\(url)\(separator)search_path=\(schema)"
        let result: Result<R, any Error>
        do {
            result = .success(try await withServerOn(extra: settings, body))
        } catch {
            result = .failure(error)
        }
        try await run("DROP SCHEMA \(schema) CASCADE", at: url)
        return try result.get()
    }

    private static func run(_ statement: String, at url: String) async throws {
        try await SQLStore.withStore(.postgres(url: url), logger: Logger(label: "test")) { store in
            try await store.read { db in try await db.raw(SQLQueryString(statement)).run() }
        }
    }

    private static func withServerOn<R: Sendable>(
        extra: [String: String], _ body: @Sendable (any TestClientProtocol, AuthContext) async throws -> R
    ) async throws -> R {
        let (appliance, settings) = try settings(extra: extra)
        defer { try? FileManager.default.removeItem(atPath: appliance.stateDirectory) }
        let logger = {
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            return logger
        }()
        return try await SQLStore.withStore(appliance.database, logger: logger) { store in
            let context = AuthContext(appliance: appliance, settings: settings, store: store, logger: logger)
            try await AuthServer.prepare(context: context, store: store)
            _ = try await context.accounts.add(
                NewAccount(
                    username: "ada", displayName: "Ada Lovelace", email: "ada@example.org", password: password,
                    groups: ["physics-1"]))
            let app = Application(
                router: try AuthServer.router(context: context, observability: Observability(), store: store))
            return try await app.test(.router) { client in try await body(client, context) }
        }
    }
}

/// A tiny browser: keeps cookies and reads forms, enough to script the login page.
struct ScriptedBrowser {
    var cookies: [String: String] = [:]

    mutating func remember(_ response: TestResponse) {
        for field in response.headers[values: .setCookie] {
            guard let pair = field.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            cookies[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
    }

    var cookieHeader: HTTPFields {
        [.cookie: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    static func hiddenFields(_ html: String) -> [String: String] {
        var fields: [String: String] = [:]
        let pattern = #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#
        for match in html.matches(of: pattern) {
            fields[String(match.1)] = String(match.2).replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        return fields
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
        return ByteBuffer(string: body)
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func query(of location: String) -> [String: String] {
        let items = URLComponents(string: location)?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}
