public import ArgumentParser

/// `cygnet`: runs the appliance on this machine and manages its accounts, groups and applications.
public struct CygnetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cygnet",
        abstract: "Run Cygnet, a web service for notebooks and data analysis, and manage who can use it.",
        discussion: """
            Start with `cygnet up`: it sets everything up on this machine and prints the address to open and \
            the administrator's password. Then add your students with `cygnet users add` or a whole class \
            list with `cygnet users import`.
            """,
        subcommands: [Up.self, Users.self, Groups.self, Clients.self, Doctor.self])

    /// Also accepted before the subcommand (`cygnet --state-dir DIR users list`); the subcommands read the same values.
    @OptionGroup var state: StateOptions

    public init() {}

    /// Like ArgumentParser's `main()`, but errors from the libraries are shown as their sentence for people.
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CLIError.presentable(error))
        }
    }
}
