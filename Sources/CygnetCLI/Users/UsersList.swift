public import ArgumentParser
import CygnetAuth
import Foundation

/// `cygnet users list`: every account, as a table or as JSON.
public struct UsersList: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "list", abstract: "List all accounts.")

    @OptionGroup var state: StateOptions

    @Flag(help: "Print the accounts as JSON, for scripts.")
    var json = false

    public init() {}

    public func run() async throws {
        let console = Console.current
        let accounts = try await Installation.withAccounts(state) { try await $0.users.list() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            console.print(String(decoding: try encoder.encode(accounts), as: UTF8.self))
            return
        }
        guard !accounts.isEmpty else {
            console.print("There are no accounts yet; add one with `cygnet users add USERNAME`.")
            return
        }
        var table = TextTable("USERNAME", "NAME", "EMAIL", "GROUPS", "ADMIN", "DISABLED")
        for account in accounts {
            table.add([
                account.username, account.displayName, account.email, account.groups.joined(separator: ","),
                account.isAdmin ? "yes" : "no", account.isDisabled ? "yes" : "no",
            ])
        }
        for line in table.lines { console.print(line) }
    }
}
