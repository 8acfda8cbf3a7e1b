public import ArgumentParser
import CygnetAuth

/// `cygnet clients remove`: unregisters an application and ends the sign-ins it holds.
public struct ClientsRemove: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Unregister an application; people logged in through it are logged out of it.")

    @OptionGroup var state: StateOptions

    @Argument(help: "The application's id (client_id), as `cygnet clients list` shows it.")
    var clientID: String

    public init() {}

    public func run() async throws {
        let clientID = clientID
        try await Installation.withStore(state) { try await ClientStore(store: $0).remove(id: clientID) }
        Console.current.print("Removed the application '\(clientID)'.")
    }
}
