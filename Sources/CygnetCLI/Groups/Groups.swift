public import ArgumentParser
import CygnetAuth

/// `cygnet groups …`: groups of accounts, such as a class.
public struct Groups: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Manage groups of accounts, such as a class.",
        subcommands: [
            GroupsAdd.self, GroupsList.self, GroupsRemove.self, GroupsAddMember.self, GroupsRemoveMember.self,
            GroupsMembers.self,
        ])

    public init() {}
}
