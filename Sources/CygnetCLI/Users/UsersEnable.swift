public import ArgumentParser
import CygnetAuth

/// `cygnet users enable`: lets a disabled account log in again.
public struct UsersEnable: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Let a disabled account log in again.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name of the account.")
    var username: String

    public init() {}

    public func run() async throws {
        let username = username
        try await Installation.withAccounts(state) { accounts in
            try await accounts.users.setDisabled(username: username, false)
        }
        Console.current.print("The account '\(username)' is enabled: it can log in again.")
    }
}
