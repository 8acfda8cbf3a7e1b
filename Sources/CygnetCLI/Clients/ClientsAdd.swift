public import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation

/// `cygnet clients add`: registers an application and shows its id and secret.
public struct ClientsAdd: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register an application that may use Cygnet's sign-in.",
        discussion: """
            Prints the application's id (client_id) and, unless it is --public, its secret (client_secret): \
            enter both in the application's login settings. The secret is shown only once.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "The application's name, shown to people when they log in.")
    var name: String

    @Option(
        name: .customLong("redirect-uri"),
        help: ArgumentHelp(
            "An address Cygnet may send people back to after they log in, exactly as the application gives it "
                + "(https://…, or http://127.0.0.1… for a program on this computer). Repeat for several.",
            valueName: "uri"))
    var redirectURIs: [String] = []

    @Option(
        name: .customLong("post-logout-redirect-uri"),
        help: ArgumentHelp(
            "An address Cygnet may send people to after they log out. Repeat for several.", valueName: "uri"))
    var postLogoutRedirectURIs: [String] = []

    @Flag(
        name: .customLong("public"),
        help:
            "The application cannot keep a secret (it runs in the browser or on people's computers); it gets no secret."
    )
    var isPublic = false

    @Flag(
        help:
            "Let the application log in as itself with its id and secret, without a person (for scripts and services).")
    var allowClientCredentials = false

    @Flag(
        help:
            "Let the application manage Cygnet (adds the cygnet:admin permission; implies --allow-client-credentials).")
    var admin = false

    @Option(
        name: .customLong("scope"),
        help: ArgumentHelp(
            "A permission (scope) the application may ask for. Repeat for several. "
                + "Default: \(RegisteredClient.defaultScopes.joined(separator: " ")).",
            valueName: "scope"))
    var scopes: [String] = []

    @Option(
        name: .customLong("id"),
        help: "The application's id (client_id). Default: made from the name, e.g. 'Course Wiki' → course-wiki.")
    var clientID: String?

    public init() {}

    var resolvedID: String { clientID ?? Self.slug(name) }
    var allowsClientCredentials: Bool { allowClientCredentials || admin }
    var resolvedScopes: [String] {
        let base = scopes.isEmpty ? RegisteredClient.defaultScopes : scopes
        return admin && !base.contains(RegisteredClient.adminScope) ? base + [RegisteredClient.adminScope] : base
    }

    public func validate() throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError("the application's name is empty.")
        }
        if isPublic && allowsClientCredentials {
            throw CLIError(
                "a --public application has no secret, so it cannot log in as itself; drop --public or "
                    + "--allow-client-credentials/--admin.")
        }
        if redirectURIs.isEmpty && !allowsClientCredentials {
            throw CLIError(
                "give at least one --redirect-uri: the address the application's login settings show for "
                    + "\"redirect URI\" or \"callback URL\".")
        }
        guard !resolvedID.isEmpty else {
            throw CLIError("cannot make an id from the name '\(name)'; choose one with --id.")
        }
        do {
            try ClientValidation.checkClientID(resolvedID)
            for uri in redirectURIs + postLogoutRedirectURIs { try ClientValidation.checkRedirectURI(uri) }
            try ClientValidation.checkScopes(resolvedScopes)
        } catch {
            throw CLIError.presentable(error)
        }
    }

    public func run() async throws {
        let secret = isPublic ? nil : SecretDigest.newSecret()
        let client = RegisteredClient(
            id: resolvedID, name: name, secretHash: secret.map(SecretDigest.hash), redirectURIs: redirectURIs,
            postLogoutRedirectURIs: postLogoutRedirectURIs, scopes: resolvedScopes, isPublic: isPublic,
            allowsClientCredentials: allowsClientCredentials, source: "cli",
            createdAt: Int64(Date().timeIntervalSince1970))
        try await Installation.withStore(state) { store in try await ClientStore(store: store).create(client) }
        let console = Console.current
        console.print("Registered the application '\(name)'.")
        console.print("client_id: \(client.id)")
        if let secret {
            console.print("client_secret: \(secret)")
            console.print("The secret is shown only this once: enter it in the application's settings now.")
        }
    }

    /// `Course Wiki 2` → `course-wiki-2`: lower-case ASCII letters and digits, other characters become one dash.
    static func slug(_ name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        return String(slug.prefix(64))
    }
}
