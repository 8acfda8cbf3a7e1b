import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation
import Testing

@testable import CygnetCLI

@Suite("cygnet users")
struct UsersCommandTests {
    @Test func addListChangeAndRemoveAccounts() async throws {
        try await TestInstallation.with { cygnet in
            let added = try await cygnet.run([
                "users", "add", "ada", "--name", "Ada Lovelace", "--email", "ada@example.org", "--group", "physics-1",
                "--group", "lab-b",
            ])
            let password = try #require(added.value(after: "password: "))
            #expect(password.count == 19)

            let credentials = try await cygnet.withAccounts { try await $0.users.credentials(username: "ada") }
            let (account, hash) = try #require(credentials)
            #expect(account.groups == ["lab-b", "physics-1"])
            // The CLI hashed with the configured parameters, as cygnet-auth will.
            #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
            #expect(try await PasswordHasher(parameters: .init(costLog2: 10)).verify(password, against: hash))

            try await cygnet.run(["users", "add", "bob", "--admin", "--password-stdin"], input: "a long password\n")
            let bob = try #require(try await cygnet.withAccounts { try await $0.users.credentials(username: "bob") })
            #expect(bob.0.isAdmin)
            #expect(try await PasswordHasher(parameters: .init(costLog2: 10)).verify("a long password", against: bob.1))

            let table = try await cygnet.run(["users", "list"]).outputLines
            #expect(table.count == 3)
            #expect(table[0].hasPrefix("USERNAME"))
            #expect(table[1].hasPrefix("ada"))
            #expect(table[1].contains("lab-b,physics-1"))

            let newPassword = try #require(try await cygnet.run(["users", "passwd", "ada"]).value(after: "password: "))
            #expect(newPassword != password)
            try await cygnet.run(["users", "disable", "ada"])
            var accounts = try await listJSON(cygnet)
            #expect(accounts.first { $0.username == "ada" }?.isDisabled == true)
            try await cygnet.run(["users", "enable", "ada"])
            accounts = try await listJSON(cygnet)
            #expect(accounts.first { $0.username == "ada" }?.isDisabled == false)

            try await cygnet.run(["users", "remove", "bob"])
            #expect(try await listJSON(cygnet).map(\.username) == ["ada"])
        }
    }

    func listJSON(_ cygnet: TestInstallation) async throws -> [Account] {
        let output = try await cygnet.run(["users", "list", "--json"]).output
        return try JSONDecoder().decode([Account].self, from: Data(output.utf8))
    }

    @Test func mistakesAreOneSentence() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["users", "add", "ada"])
            let duplicate = await #expect(throws: (any Error).self) { try await cygnet.run(["users", "add", "ada"]) }
            #expect(TestInstallation.message(for: duplicate!) == "the username 'ada' is already taken.")

            let badName = await #expect(throws: (any Error).self) { try await cygnet.run(["users", "add", "Ada L"]) }
            #expect(TestInstallation.message(for: badName!).hasPrefix("the username 'Ada L' may use only"))

            let unknown = await #expect(throws: (any Error).self) { try await cygnet.run(["users", "passwd", "zed"]) }
            #expect(TestInstallation.message(for: unknown!) == "there is no user named 'zed'.")

            let short = await #expect(throws: (any Error).self) {
                try await cygnet.run(["users", "passwd", "ada", "--password-stdin"], input: "short\n")
            }
            #expect(TestInstallation.message(for: short!) == "the password is shorter than 8 characters.")
        }
    }

    @Test func stateDirectoryMayComeBeforeTheSubcommand() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["users", "add", "ada"])
            let console = RecordingConsole()
            try await TestInstallation.run(
                ["--state-dir", cygnet.directory, "users", "list", "--json"], console: console)
            #expect(console.output.contains("\"username\" : \"ada\""))
        }
    }

    @Test func missingStateSaysToRunUp() async throws {
        try await TestInstallation.with(writingConfiguration: false) { cygnet in
            let error = await #expect(throws: (any Error).self) { try await cygnet.run(["users", "list"]) }
            #expect(
                TestInstallation.message(for: error!)
                    == "no Cygnet state in \(cygnet.directory) — run `cygnet up` first, or pass --state-dir.")
        }
    }
}
