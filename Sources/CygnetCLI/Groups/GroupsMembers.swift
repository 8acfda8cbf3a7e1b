public import ArgumentParser
import CygnetAuth

/// `cygnet groups members`: the login names in a group, one per line (easy to use in scripts).
public struct GroupsMembers: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "members", abstract: "List the accounts in a group, one login name per line.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The group's name.")
    var group: String

    public init() {}

    public func run() async throws {
        let group = group
        let found = try await Installation.withAccounts(state) { try await $0.groups.find(group) }
        guard let found else { throw CLIError("there is no group named '\(group)'.") }
        for member in found.members { Console.current.print(member) }
    }
}
