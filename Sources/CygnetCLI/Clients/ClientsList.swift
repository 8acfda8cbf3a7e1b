public import ArgumentParser
import CygnetAuth

/// `cygnet clients list`: the registered applications.
public struct ClientsList: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the applications that may use Cygnet's sign-in.")

    @OptionGroup var state: StateOptions

    public init() {}

    public func run() async throws {
        let console = Console.current
        let clients = try await Installation.withStore(state) { try await ClientStore(store: $0).list() }
        guard !clients.isEmpty else {
            console.print("No applications are registered; add one with `cygnet clients add NAME --redirect-uri URI`.")
            return
        }
        var table = TextTable("CLIENT_ID", "NAME", "KIND", "FROM", "REDIRECT URIS", "SCOPES")
        for client in clients {
            let kind =
                client.isPublic ? "public" : client.allowsClientCredentials ? "confidential+service" : "confidential"
            table.add([
                client.id, client.name, kind, client.source == "cli" ? "cli" : "cygnet.yaml",
                client.redirectURIs.joined(separator: " "), client.scopes.joined(separator: " "),
            ])
        }
        for line in table.lines { console.print(line) }
    }
}
