public import ArgumentParser
import CygnetAuth
import CygnetRuntime
import CygnetStorage

/// `cygnet users quota`: how much one person may store.
public struct UsersQuota: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Set how much a user may store in their files (e.g. 5GB), 'none' for no limit, or 'default'.",
        discussion: """
            'default' gives the user the quota from storage.quota.default in the settings file again. Uploads \
            that do not fit are refused whole; nothing already stored is removed when a quota is lowered. A running \
            appliance applies the new quota within five seconds.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "The login name of the account.")
    var username: String

    @Argument(help: "A size such as 500MB, 5GB or 2GiB; 'none' for no limit; 'default' for the settings' default.")
    var size: String

    public init() {}

    public func validate() throws {
        guard size.lowercased() == "default" || ByteSize.parse(size) != nil else {
            throw ValidationError("'\(size)' is not a size: write it like 500MB, 5GB or 2GiB, or none, or default.")
        }
    }

    public func run() async throws {
        let (username, size) = (username, size)
        try await Installation.withStore(state) { store in
            guard try await UserStore(store: store).find(username: username) != nil else {
                throw CLIError("there is no account '\(username)' (see `cygnet users list`).")
            }
            try await StorageSchema.migrate(store)
            let quotas = QuotaStore(store: store)
            if size.lowercased() == "default" {
                try await quotas.clear(user: username)
            } else if let bytes = ByteSize.parse(size) {
                try await quotas.set(user: username, bytes: bytes)
            }
        }
        let described =
            size.lowercased() == "default"
            ? "the default quota" : (ByteSize.parse(size).flatMap { $0 }.map(ByteSize.describe) ?? "no limit")
        Console.current.print("'\(username)' may now store \(described).")
    }
}
