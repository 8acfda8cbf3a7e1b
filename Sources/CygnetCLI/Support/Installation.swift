import CygnetAuth
import CygnetRuntime
import CygnetStorage
import Foundation
import Logging

/// An existing Cygnet installation as the admin commands see it: its settings, read from its configuration file,
/// and its store, opened (and migrated) for the duration of one command.
struct Installation: Sendable {
    let configFile: String
    let settings: ApplianceSettings
    /// The same scrypt parameters cygnet-auth uses, so a password set here is as strong as one set on the login
    /// page (and is not rehashed at the next login).
    let hashing: PasswordHasher.Parameters
    /// Where people's files are, for `users list` and `users quota`.
    let storage: StorageSettings

    /// Reads the configuration; fails with "run `cygnet up` first" when there is none.
    static func load(_ options: StateOptions) async throws -> Installation {
        let file = options.configFile
        guard FileManager.default.fileExists(atPath: file) else { throw CLIError(options.missingStateMessage) }
        do {
            let reader = try await ConfigurationLoader.load(file: file)
            let settings = try ApplianceSettings(reading: reader)
            return Installation(
                configFile: file, settings: settings, hashing: try AuthSettings(reading: reader).passwordHashing,
                storage: try StorageSettings(reading: reader, appliance: settings))
        } catch {
            throw CLIError.presentable(error)
        }
    }

    /// Quiet: an admin command shows only warnings, so its own output stays readable.
    var logger: Logger {
        let format = settings.logFormat
        return Logger(label: "cygnet") { StructuredLogHandler(label: $0, level: .warning, format: format) }
    }

    /// Opens the store, brings the auth schema up to date and runs `body`; library errors become sentences.
    func withStore<R: Sendable>(_ body: @Sendable (SQLStore) async throws -> R) async throws -> R {
        do {
            return try await SQLStore.withStore(settings.database, logger: logger) { store in
                try await AuthSchema.migrate(store)
                return try await body(store)
            }
        } catch {
            throw CLIError.presentable(error)
        }
    }

    func withAccounts<R: Sendable>(_ body: @Sendable (AccountService) async throws -> R) async throws -> R {
        let hasher = PasswordHasher(parameters: hashing)
        return try await withStore { store in try await body(AccountService(store: store, hasher: hasher)) }
    }

    /// Opens the installation named by `options` and runs `body` with its accounts.
    static func withAccounts<R: Sendable>(
        _ options: StateOptions, _ body: @Sendable (AccountService) async throws -> R
    ) async throws -> R {
        try await load(options).withAccounts(body)
    }

    static func withStore<R: Sendable>(
        _ options: StateOptions, _ body: @Sendable (SQLStore) async throws -> R
    ) async throws -> R {
        try await load(options).withStore(body)
    }
}
