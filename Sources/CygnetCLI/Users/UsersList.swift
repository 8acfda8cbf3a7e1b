public import ArgumentParser
import CygnetAuth
import CygnetRuntime
import CygnetStorage
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
        let installation = try await Installation.load(state)
        let defaultQuota = installation.storage.defaultQuota
        let (accounts, quotas) = try await installation.withStore { store in
            let accounts = try await UserStore(store: store).list()
            try await StorageSchema.migrate(store)
            var limits: [String: Int64?] = [:]
            for account in accounts {
                limits[account.username] =
                    try await QuotaStore(store: store).limit(for: account.username) ?? defaultQuota
            }
            return (accounts, limits)
        }
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
        let spaces = SpaceDirectory(root: installation.storage.root, unixAccounts: installation.storage.unixAccounts)
        var table = TextTable("USERNAME", "NAME", "EMAIL", "GROUPS", "ADMIN", "DISABLED", "FILES")
        for account in accounts {
            let used = ByteSize.describe(spaces.usage(of: account.username))
            let limit = (quotas[account.username] ?? nil).map { " of " + ByteSize.describe($0) } ?? ""
            table.add([
                account.username, account.displayName, account.email, account.groups.joined(separator: ","),
                account.isAdmin ? "yes" : "no", account.isDisabled ? "yes" : "no", used + limit,
            ])
        }
        for line in table.lines { console.print(line) }
    }
}
