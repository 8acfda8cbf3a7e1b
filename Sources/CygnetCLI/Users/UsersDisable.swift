public import ArgumentParser
import CygnetAuth

/// `cygnet users disable`: stops an account from logging in, keeping its files and settings.
public struct UsersDisable: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop an account from logging in (its files are kept; `users enable` undoes this).")

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name of the account.")
    var username: String

    public init() {}

    public func run() async throws {
        let username = username
        try await Installation.withAccounts(state) { accounts in
            try await accounts.users.setDisabled(username: username, true)
        }
        Console.current.print("The account '\(username)' is disabled: it can no longer log in.")
    }
}
