public import ArgumentParser
import CygnetAuth

/// `cygnet groups add-member`: puts accounts into a group.
public struct GroupsAddMember: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "add-member", abstract: "Put one or more accounts into a group.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The group's name.")
    var group: String

    @Argument(help: "The login names of the accounts to add.")
    var usernames: [String]

    public init() {}

    public func run() async throws {
        let (group, usernames) = (group, usernames)
        try await Installation.withAccounts(state) { try await $0.groups.addMembers(usernames, to: group) }
        Console.current.print("Added \(usernames.joined(separator: ", ")) to the group '\(group)'.")
    }
}
