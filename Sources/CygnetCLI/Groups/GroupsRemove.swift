public import ArgumentParser
import CygnetAuth

/// `cygnet groups remove`: deletes a group; its members keep their accounts.
public struct GroupsRemove: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Delete a group (its members keep their accounts).")

    @OptionGroup var state: StateOptions

    @Argument(help: "The group's name.")
    var name: String

    public init() {}

    public func run() async throws {
        let name = name
        try await Installation.withAccounts(state) { try await $0.groups.delete(name) }
        Console.current.print("Removed the group '\(name)'.")
    }
}
