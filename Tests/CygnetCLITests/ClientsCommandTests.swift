import CygnetAuth
import CygnetRuntime
import Logging
import Testing

@testable import CygnetCLI

@Suite("cygnet clients")
struct ClientsCommandTests {
    @Test func registerListAndRemoveApplications() async throws {
        try await TestInstallation.with { cygnet in
            let wiki = try await cygnet.run([
                "clients", "add", "Course Wiki", "--redirect-uri", "https://wiki.school.example/callback",
                "--post-logout-redirect-uri", "https://wiki.school.example/",
            ])
            #expect(wiki.value(after: "client_id: ") == "course-wiki")
            let secret = try #require(wiki.value(after: "client_secret: "))
            #expect(wiki.output.contains("shown only this once"))

            let app = try await cygnet.run([
                "clients", "add", "Desktop App", "--public", "--redirect-uri", "http://127.0.0.1:9000/cb", "--id",
                "desk",
                "--scope", "openid", "--scope", "profile",
            ])
            #expect(app.value(after: "client_id: ") == "desk")
            #expect(app.value(after: "client_secret: ") == nil)

            let robot = try await cygnet.run(["clients", "add", "Grader", "--admin"])
            #expect(robot.value(after: "client_secret: ") != nil)

            let clients = try await cygnet.withClients { try await $0.list() }
            let stored = try #require(clients.first { $0.id == "course-wiki" })
            #expect(stored.secretHash == SecretDigest.hash(secret))
            #expect(!stored.isPublic && !stored.allowsClientCredentials)
            #expect(stored.scopes == RegisteredClient.defaultScopes)
            #expect(stored.postLogoutRedirectURIs == ["https://wiki.school.example/"])
            let desk = try #require(clients.first { $0.id == "desk" })
            #expect(desk.isPublic && desk.secretHash == nil && desk.scopes == ["openid", "profile"])
            let grader = try #require(clients.first { $0.id == "grader" })
            #expect(grader.allowsClientCredentials && grader.scopes.contains(RegisteredClient.adminScope))

            let table = try await cygnet.run(["clients", "list"]).outputLines
            #expect(table.count == 4)
            #expect(table[1].hasPrefix("course-wiki"))

            try await cygnet.run(["clients", "remove", "desk"])
            #expect(try await cygnet.withClients { try await $0.list() }.map(\.id) == ["course-wiki", "grader"])
        }
    }

    @Test func inputMistakesAreCaughtBeforeRunning() async throws {
        try await TestInstallation.with { cygnet in
            let cases: [([String], String)] = [
                (["clients", "add", "Wiki"], "give at least one --redirect-uri"),
                (["clients", "add", "Wiki", "--public", "--admin"], "a --public application has no secret"),
                (
                    ["clients", "add", "Wiki", "--redirect-uri", "http://wiki.example/cb"],
                    "the redirect URI 'http://wiki.example/cb' uses plain http"
                ),
                (
                    ["clients", "add", "Wiki", "--redirect-uri", "https://w.example/cb", "--id", "a b"],
                    "the client id 'a b' may use only"
                ),
                (
                    ["clients", "add", "!!!", "--redirect-uri", "https://w.example/cb"],
                    "cannot make an id from the name"
                ),
            ]
            for (arguments, expected) in cases {
                let error = await #expect(throws: (any Error).self) { try await cygnet.run(arguments) }
                #expect(TestInstallation.message(for: error!).hasPrefix(expected), "\(arguments)")
            }
            let missing = await #expect(throws: (any Error).self) { try await cygnet.run(["clients", "remove", "x"]) }
            #expect(TestInstallation.message(for: missing!) == "there is no client with the id 'x'.")
        }
    }

    @Test func slugsAreReadableIDs() {
        #expect(ClientsAdd.slug("Course Wiki 2") == "course-wiki-2")
        #expect(ClientsAdd.slug("  Ünï  Portal!! ") == "n-portal")
        #expect(ClientsAdd.slug("---") == "")
    }
}

extension TestInstallation {
    func withClients<R: Sendable>(_ body: @Sendable (ClientStore) async throws -> R) async throws -> R {
        try await SQLStore.withStore(.sqlite(path: directory + "/cygnet.sqlite"), logger: Logger(label: "test")) {
            try await body(ClientStore(store: $0))
        }
    }
}
