public import ArgumentParser
import CygnetAuth
import Foundation

/// `cygnet groups add`: creates an empty group.
public struct GroupsAdd: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a group.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The group's name: lower-case letters a-z, digits, '.', '_' and '-', at most 32 characters.")
    var name: String

    @Option(help: "What the group is for, e.g. \"Physics, year 2\".")
    var description: String = ""

    public init() {}

    public func validate() throws {
        do {
            try AccountValidation.checkGroupName(name)
        } catch {
            throw CLIError.presentable(error)
        }
    }

    public func run() async throws {
        let (name, description) = (name, description)
        try await Installation.withAccounts(state) { accounts in
            try await accounts.groups.create(name, description: description, now: Int64(Date().timeIntervalSince1970))
        }
        Console.current.print("Created the group '\(name)'.")
    }
}
