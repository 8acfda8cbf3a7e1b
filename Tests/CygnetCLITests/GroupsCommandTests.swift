import CygnetAuth
import Testing

@testable import CygnetCLI

@Suite("cygnet groups")
struct GroupsCommandTests {
    @Test func createFillListAndRemoveGroups() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["users", "add", "ada"])
            try await cygnet.run(["users", "add", "bob"])
            try await cygnet.run(["groups", "add", "physics-1", "--description", "Physics, year 1"])
            try await cygnet.run(["groups", "add-member", "physics-1", "ada", "bob"])
            #expect(try await cygnet.run(["groups", "members", "physics-1"]).outputLines == ["ada", "bob"])

            try await cygnet.run(["groups", "remove-member", "physics-1", "bob"])
            #expect(try await cygnet.run(["groups", "members", "physics-1"]).outputLines == ["ada"])

            let table = try await cygnet.run(["groups", "list"]).outputLines
            #expect(table == ["NAME       MEMBERS  DESCRIPTION", "physics-1  1        Physics, year 1"])

            try await cygnet.run(["groups", "remove", "physics-1"])
            #expect(try await cygnet.run(["groups", "list"]).output.hasPrefix("There are no groups yet"))
            #expect(try await cygnet.withAccounts { try await $0.users.find(username: "ada") }?.groups == [])
        }
    }

    @Test func mistakesAreOneSentence() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["groups", "add", "lab"])
            let again = await #expect(throws: (any Error).self) { try await cygnet.run(["groups", "add", "lab"]) }
            #expect(TestInstallation.message(for: again!) == "the group 'lab' already exists.")
            let stranger = await #expect(throws: (any Error).self) {
                try await cygnet.run(["groups", "add-member", "lab", "nobody"])
            }
            #expect(TestInstallation.message(for: stranger!) == "there is no user named 'nobody'.")
            let missing = await #expect(throws: (any Error).self) { try await cygnet.run(["groups", "members", "x"]) }
            #expect(TestInstallation.message(for: missing!) == "there is no group named 'x'.")
            let badName = await #expect(throws: (any Error).self) { try await cygnet.run(["groups", "add", "Lab 2"]) }
            #expect(TestInstallation.message(for: badName!).hasPrefix("the group name 'Lab 2' may use only"))
        }
    }
}
