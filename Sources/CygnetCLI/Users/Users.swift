public import ArgumentParser

/// `cygnet users …`: the accounts people log in with.
public struct Users: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Add, list and change the accounts people log in with.",
        subcommands: [
            UsersAdd.self, UsersList.self, UsersPasswd.self, UsersDisable.self, UsersEnable.self, UsersRemove.self,
            UsersImport.self, UsersQuota.self, UsersAppPassword.self,
        ])

    public init() {}
}
