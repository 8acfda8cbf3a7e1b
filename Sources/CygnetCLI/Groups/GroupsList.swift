public import ArgumentParser
import CygnetAuth

/// `cygnet groups list`: every group with its size.
public struct GroupsList: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "list", abstract: "List all groups.")

    @OptionGroup var state: StateOptions

    public init() {}

    public func run() async throws {
        let console = Console.current
        let groups = try await Installation.withAccounts(state) { try await $0.groups.list() }
        guard !groups.isEmpty else {
            console.print("There are no groups yet; add one with `cygnet groups add NAME`.")
            return
        }
        var table = TextTable("NAME", "MEMBERS", "DESCRIPTION")
        for group in groups { table.add([group.name, String(group.members.count), group.description]) }
        for line in table.lines { console.print(line) }
    }
}
