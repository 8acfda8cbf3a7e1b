public import ArgumentParser
import CygnetAuth

/// `cygnet users add`: creates one account and shows its password.
public struct UsersAdd: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create an account.",
        discussion: """
            Without --password-stdin a password is generated and printed once; hand it to the person, who can \
            change it after logging in.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name: lower-case letters a-z, digits, '.', '_' and '-', at most 32 characters.")
    var username: String

    @Option(help: "The person's full name, shown on pages.")
    var name: String = ""

    @Option(help: "The person's e-mail address.")
    var email: String = ""

    @Flag(help: "Make this account an administrator (can manage users and see every session).")
    var admin = false

    @Option(name: .customLong("group"), help: "Put the account in this group (a class); repeat for several groups.")
    var groups: [String] = []

    @Flag(help: "Read the password from standard input instead of generating one.")
    var passwordStdin = false

    public init() {}

    public func validate() throws {
        do {
            try AccountValidation.checkUsername(username)
            try AccountValidation.checkDisplayName(name)
            try AccountValidation.checkEmail(email)
            for group in groups { try AccountValidation.checkGroupName(group) }
        } catch {
            throw CLIError.presentable(error)
        }
    }

    public func run() async throws {
        let console = Console.current
        let password = passwordStdin ? try PasswordInput.read(from: console) : AccountService.generatePassword()
        let account = NewAccount(
            username: username, displayName: name, email: email, password: password, isAdmin: admin, groups: groups)
        let created = try await Installation.withAccounts(state) { try await $0.add(account) }
        console.print("Created the account '\(created.username)'\(admin ? " (administrator)" : "").")
        if !passwordStdin { console.print("password: \(password)") }
    }
}
