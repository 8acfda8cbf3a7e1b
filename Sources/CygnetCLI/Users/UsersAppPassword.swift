public import ArgumentParser
import CygnetAuth
import CygnetRuntime
import CygnetStorage
import Foundation

/// `cygnet users app-password …`: passwords for one desktop sync client or rclone, made and revoked one by one.
public struct UsersAppPassword: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "app-password",
        abstract: "Make, list and revoke app passwords: what a desktop sync client or rclone signs in with.",
        discussion: """
            A sync client (Nextcloud or ownCloud desktop, nextcloudcmd, rclone) signs in with the user's name and an \
            app password instead of their real password. Make one per computer, so one can be revoked without \
            touching the others.
            """,
        subcommands: [Add.self, List.self, Revoke.self])

    public init() {}

    public struct Add: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Make an app password and print it (it is shown only this once).")

        @OptionGroup var state: StateOptions

        @Argument(help: "The login name of the account.")
        var username: String

        @Option(help: "A name to recognise it by later, e.g. 'laptop'.")
        var label = "app password"

        public init() {}

        public func run() async throws {
            let (username, label) = (username, label)
            let password = try await Installation.withStore(state) { store in
                guard try await UserStore(store: store).find(username: username) != nil else {
                    throw CLIError("there is no account '\(username)' (see `cygnet users list`).")
                }
                try await StorageSchema.migrate(store)
                let now = Int64(Date().timeIntervalSince1970)
                return try await AppPasswordStore(store: store).create(userName: username, label: label, now: now).1
            }
            let console = Console.current
            console.print("App password for '\(username)' (\(label)); it is shown only now:")
            console.print("    \(password)")
            console.print("Sign in to the sync client with the user name '\(username)' and this password.")
        }
    }

    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List a user's app passwords (not the passwords).")

        @OptionGroup var state: StateOptions

        @Argument(help: "The login name of the account.")
        var username: String

        public init() {}

        public func run() async throws {
            let username = username
            let passwords = try await Installation.withStore(state) { store in
                try await StorageSchema.migrate(store)
                return try await AppPasswordStore(store: store).list(userName: username)
            }
            guard !passwords.isEmpty else {
                Console.current.print("'\(username)' has no app passwords.")
                return
            }
            var table = TextTable("ID", "LABEL", "CREATED")
            for password in passwords { table.add([password.id, password.label, Self.date(password.createdAt)]) }
            for line in table.lines { Console.current.print(line) }
        }

        static func date(_ seconds: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }

    public struct Revoke: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Revoke one app password: the client using it is signed out at its next request.")

        @OptionGroup var state: StateOptions

        @Argument(help: "The login name of the account.")
        var username: String

        @Argument(help: "The ID shown by `cygnet users app-password list`.")
        var id: String

        public init() {}

        public func run() async throws {
            let (username, id) = (username, id)
            let revoked = try await Installation.withStore(state) { store in
                try await StorageSchema.migrate(store)
                return try await AppPasswordStore(store: store).revoke(userName: username, id: id)
            }
            guard revoked else { throw CLIError("'\(username)' has no app password with the ID \(id).") }
            Console.current.print("Revoked the app password \(id) of '\(username)'.")
        }
    }
}
