public import ArgumentParser
import CygnetAuth

/// `cygnet users passwd`: gives an account a new password (a forgotten one, or a handed-out one replaced).
public struct UsersPasswd: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Give an account a new password.",
        discussion: "Without --password-stdin a new password is generated and printed once.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name of the account.")
    var username: String

    @Flag(help: "Read the new password from standard input instead of generating one.")
    var passwordStdin = false

    public init() {}

    public func run() async throws {
        let console = Console.current
        let password = passwordStdin ? try PasswordInput.read(from: console) : AccountService.generatePassword()
        let username = username
        try await Installation.withAccounts(state) { accounts in
            try await accounts.setPassword(username: username, password: password)
        }
        console.print("Changed the password of '\(username)'.")
        if !passwordStdin { console.print("password: \(password)") }
    }
}
