import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation
import Logging

@testable import CygnetCLI

/// A Cygnet installation in a temporary folder (SQLite, cheap password hashing), driven through the real command
/// tree in-process.
struct TestInstallation {
    let directory: String

    var configFile: String { directory + "/cygnet.yaml" }

    /// Runs `body` with a fresh installation and removes it afterwards.
    static func with<R>(writingConfiguration: Bool = true, _ body: (TestInstallation) async throws -> R) async throws
        -> R
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cygnet-cli-test-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let installation = TestInstallation(directory: directory)
        if writingConfiguration { try installation.writeConfiguration() }
        return try await body(installation)
    }

    /// The smallest scrypt cost cygnet-auth accepts, so tests that hash passwords stay fast.
    func writeConfiguration(extra: String = "") throws {
        let yaml = """
            state_dir: "\(directory)"
            database:
              url: "sqlite:\(directory)/cygnet.sqlite"
            auth:
              password_hashing:
                cost_log2: 10
            \(extra)
            """
        try yaml.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    /// Parses `arguments` as `cygnet …` (adding `--state-dir`), validates and runs the command.
    @discardableResult
    func run(_ arguments: [String], input: String = "") async throws -> RecordingConsole {
        let recorder = RecordingConsole(input: input)
        try await Self.run(arguments + ["--state-dir", directory], console: recorder)
        return recorder
    }

    static func run(_ arguments: [String], console: RecordingConsole) async throws {
        let parsed = try CygnetCommand.parseAsRoot(arguments)
        guard var command = parsed as? any AsyncParsableCommand else {
            throw CLIError("\(arguments) did not parse to an async command")
        }
        try await Console.$current.withValue(console.console) {
            try await command.run()
        }
    }

    /// The message a person sees for `error` (after "Error: ").
    static func message(for error: any Error) -> String {
        CygnetCommand.message(for: CLIError.presentable(error))
    }

    /// Reads the store directly, to check what a command did.
    func withAccounts<R: Sendable>(_ body: @Sendable (AccountService) async throws -> R) async throws -> R {
        try await SQLStore.withStore(.sqlite(path: directory + "/cygnet.sqlite"), logger: Logger(label: "test")) {
            store in
            try await AuthSchema.migrate(store)
            return try await body(
                AccountService(store: store, hasher: PasswordHasher(parameters: .init(costLog2: 10))))
        }
    }
}
