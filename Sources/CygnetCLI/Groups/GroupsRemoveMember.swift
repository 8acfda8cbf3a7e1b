public import ArgumentParser
import CygnetAuth

/// `cygnet groups remove-member`: takes accounts out of a group.
public struct GroupsRemoveMember: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "remove-member", abstract: "Take one or more accounts out of a group.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The group's name.")
    var group: String

    @Argument(help: "The login names of the accounts to take out.")
    var usernames: [String]

    public init() {}

    public func run() async throws {
        let (group, usernames) = (group, usernames)
        try await Installation.withAccounts(state) { try await $0.groups.removeMembers(usernames, from: group) }
        Console.current.print("Took \(usernames.joined(separator: ", ")) out of the group '\(group)'.")
    }
}
