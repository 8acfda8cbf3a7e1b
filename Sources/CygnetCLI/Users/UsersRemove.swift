public import ArgumentParser
import CygnetAuth

/// `cygnet users remove`: deletes an account for good.
public struct UsersRemove: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Delete an account for good (to keep it but stop its logins, use `users disable`).")

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name of the account.")
    var username: String

    public init() {}

    public func run() async throws {
        let username = username
        try await Installation.withAccounts(state) { accounts in
            try await accounts.users.delete(username: username)
        }
        Console.current.print("Removed the account '\(username)'.")
    }
}
