import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation
import Testing

@testable import CygnetCLI

@Suite("cygnet users import")
struct UsersImportCommandTests {
    @Test func importsAllRowsAndShowsGeneratedPasswords() async throws {
        try await TestInstallation.with { cygnet in
            let roster = cygnet.directory + "/class.csv"
            try "username,name,groups,password\nada,Ada,physics-1,\nbob,Bob,physics-1;lab,given password\n"
                .write(toFile: roster, atomically: true, encoding: .utf8)
            let console = try await cygnet.run(["users", "import", roster])
            #expect(console.outputLines.first == "Imported 2 accounts.")
            let adaLine = try #require(console.outputLines.first { $0.hasPrefix("ada ") })
            let password = String(adaLine.split(separator: " ").last ?? "")
            #expect(console.outputLines.contains { $0.hasPrefix("bob ") && $0.hasSuffix("(from the file)") })
            let ada = try #require(try await cygnet.withAccounts { try await $0.users.credentials(username: "ada") })
            #expect(try await PasswordHasher(parameters: .init(costLog2: 10)).verify(password, against: ada.1))
            let groups = try await cygnet.withAccounts { try await $0.groups.list() }
            #expect(groups.map(\.name) == ["lab", "physics-1"])
            #expect(groups.last?.members == ["ada", "bob"])
        }
    }

    @Test func writesPasswordsToAPrivateFile() async throws {
        try await TestInstallation.with { cygnet in
            let roster = cygnet.directory + "/class.csv"
            let passwords = cygnet.directory + "/passwords.csv"
            try "username\ncarol\ndave\n".write(toFile: roster, atomically: true, encoding: .utf8)
            let console = try await cygnet.run(["users", "import", roster, "--passwords-out", passwords])
            #expect(console.output.contains("Wrote the 2 generated passwords to \(passwords)"))
            #expect(!console.output.contains("carol"))
            let attributes = try FileManager.default.attributesOfItem(atPath: passwords)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let lines = try String(contentsOfFile: passwords, encoding: .utf8).split(separator: "\r\n")
            #expect(lines.first == "username,password")
            #expect(lines.dropFirst().map { $0.split(separator: ",").first } == ["carol", "dave"])
        }
    }

    @Test func importsNothingWhenAnyRowIsBad() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["users", "add", "erin"])
            let roster = cygnet.directory + "/class.csv"
            let passwords = cygnet.directory + "/passwords.csv"
            try "username,email\nfrank,frank@example.org\nerin,\nGrace,grace@\n".write(
                toFile: roster, atomically: true, encoding: .utf8)
            let console = RecordingConsole()
            let error = await #expect(throws: ExitCode.self) {
                try await TestInstallation.run(
                    ["users", "import", roster, "--passwords-out", passwords, "--state-dir", cygnet.directory],
                    console: console)
            }
            #expect(error == .failure)
            #expect(
                console.errorLines == [
                    "line 3: the username 'erin' already exists in Cygnet",
                    "line 4: the username 'Grace' may use only lower-case letters a-z, digits, '.', '_' and '-', and must start with a letter or digit; 'grace@' is not an e-mail address such as ada@example.org",
                    "Nothing was imported: fix the 2 rows above and run the import again.",
                ])
            #expect(try await cygnet.withAccounts { try await $0.users.list() }.map(\.username) == ["erin"])
            #expect(!FileManager.default.fileExists(atPath: passwords))
        }
    }
}
