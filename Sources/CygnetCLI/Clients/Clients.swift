public import ArgumentParser

/// `cygnet clients …`: the applications allowed to use Cygnet's sign-in.
public struct Clients: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Manage the applications that may use Cygnet's sign-in (for example a course website).",
        discussion: """
            An application registered here can send people to Cygnet to log in and get their name, e-mail \
            and groups back (this uses the standard OpenID Connect protocol, which most web applications \
            support under "OpenID Connect" or "OAuth2 login"). Cygnet's own parts are registered automatically.
            """,
        subcommands: [ClientsAdd.self, ClientsList.self, ClientsRemove.self])

    public init() {}
}
