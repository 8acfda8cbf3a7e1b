import CygnetAuth
import CygnetRuntime
import Foundation
import Logging

/// The part of `cygnet up` that prepares this machine before any service starts: the state folder, the settings
/// file (first run only), the database schema and the first administrator (only while there is no account at all).
struct ApplianceBootstrap: Sendable {
    var stateDirectory: String
    var configFile: String
    /// Values given on the command line; they win over the settings file for this run only.
    var host: String?
    var port: Int?
    var publicURL: String?

    /// What the services of this run use.
    struct Prepared: Sendable {
        var settings: ApplianceSettings
        var hashing: PasswordHasher.Parameters
        var front: FrontDoor
        var publicURL: String
        var createdConfiguration: Bool
        var software: SoftwarePlan
        /// Set when this run created the administrator.
        var administratorPassword: String? = nil
        /// Secrets of this run: the hub's with cygnet-auth, and the one the hub uses with the proxy's control API.
        var hubClientSecret = SecretDigest.newSecret()
        /// Storage's secret with cygnet-auth: it asks the admin API for people's groups (group shares, quotas).
        var storageClientSecret = SecretDigest.newSecret()
        var proxyToken = SecretDigest.newSecret()

        /// What the child services read on top of the settings file: this run's addresses and secrets.
        var serviceEnvironment: [String: String] {
            var environment = [
                "CYGNET_PUBLIC_URL": publicURL,
                "CYGNET_AUTH_HOST": front.authListenHost,
                "CYGNET_AUTH_PORT": String(front.authListenPort),
                "CYGNET_HUB_HOST": front.internalHost,
                "CYGNET_HUB_PORT": String(front.hubListenPort),
                "CYGNET_HUB_AUTH_URL": "http://\(front.internalHost):\(front.authListenPort)/auth",
                "CYGNET_HUB_CLIENT_ID": ApplianceBootstrap.hubClientID,
                "CYGNET_HUB_CLIENT_SECRET": hubClientSecret,
                "CYGNET_HUB_PROXY_API_URL": "http://\(front.internalHost):\(front.proxyAPIPort)",
                "CYGNET_HUB_PROXY_AUTH_TOKEN": proxyToken,
                "CYGNET_PROXY_AUTH_TOKEN": proxyToken,
                "CYGNET_STORAGE_HOST": front.internalHost,
                "CYGNET_STORAGE_PORT": String(front.storageListenPort),
                "CYGNET_STORAGE_AUTH_JWKS_URL": "http://\(front.internalHost):\(front.authListenPort)/auth/jwks",
                "CYGNET_STORAGE_AUTH_URL": "http://\(front.internalHost):\(front.authListenPort)/auth",
                "CYGNET_STORAGE_AUTH_CLIENT_ID": ApplianceBootstrap.storageClientID,
                "CYGNET_STORAGE_AUTH_CLIENT_SECRET": storageClientSecret,
            ]
            if software.enabled { environment["CYGNET_HUB_STACK_ROOTS"] = software.mountRoot }
            return environment
        }
    }

    static let administratorUsername = "admin"
    static let hubClientID = "cygnet-hub"
    static let storageClientID = "cygnet-storage"

    /// The state folder and settings file (written on the first run), read with this run's command-line values.
    func prepareConfiguration() async throws -> Prepared {
        try Self.createStateDirectory(stateDirectory)
        let created = try writeStarterConfigurationIfMissing()
        let settings: ApplianceSettings
        let auth: AuthSettings
        let fileFront: FrontDoor
        let software: SoftwarePlan
        do {
            let reader = try await ConfigurationLoader.load(file: configFile)
            settings = try ApplianceSettings(reading: reader)
            auth = try AuthSettings(reading: reader)
            fileFront = try FrontDoor(reading: reader)
            software = try SoftwarePlan(reading: reader, stateDirectory: stateDirectory)
        } catch {
            throw CLIError.presentable(error)
        }
        let front = FrontDoor(host: host ?? fileFront.host, port: port ?? fileFront.port)
        // A public URL that was only derived from the file's host and port follows them when they are overridden.
        let derived = settings.publicURL == fileFront.defaultPublicURL
        let url = publicURL.map(Self.withoutTrailingSlash) ?? (derived ? front.defaultPublicURL : settings.publicURL)
        return Prepared(
            settings: settings, hashing: auth.passwordHashing, front: front, publicURL: url,
            createdConfiguration: created, software: software)
    }

    /// Brings the database schema up to date and, while there is no account at all (the first run), creates the
    /// administrator and prints its password, once.
    func prepareAccounts(_ prepared: inout Prepared, console: Console) async throws {
        let password = try await createAdministratorIfNoAccounts(
            settings: prepared.settings, hashing: prepared.hashing,
            applianceClients: [hubClient(prepared), storageClient(prepared)])
        guard let password else { return }
        prepared.administratorPassword = password
        console.print("Administrator account created (the password is shown only this once):")
        console.print("    username: \(Self.administratorUsername)")
        console.print("    password: \(password)")
    }

    /// Both steps, for callers that need no check in between.
    func prepare(console: Console) async throws -> Prepared {
        var prepared = try await prepareConfiguration()
        try await prepareAccounts(&prepared, console: console)
        return prepared
    }

    /// Creates the folder (and its parents) with mode 0700 for the folder itself: it holds the database and keys.
    static func createStateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CLIError("\(path) is a file, not a folder; pass --state-dir with a folder for Cygnet's state.")
            }
            return
        }
        do {
            let parent = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError(
                "cannot create the state folder \(path): \(error.localizedDescription); pass --state-dir with a "
                    + "folder you can write to.")
        }
    }

    private func writeStarterConfigurationIfMissing() throws -> Bool {
        guard !FileManager.default.fileExists(atPath: configFile) else { return false }
        let front = FrontDoor(host: host ?? FrontDoor.defaultHost, port: port ?? FrontDoor.defaultPort)
        let starter = StarterConfiguration(
            publicURL: publicURL.map(Self.withoutTrailingSlash) ?? front.defaultPublicURL,
            stateDirectory: stateDirectory, front: front)
        try starter.write(to: configFile)
        return true
    }

    /// The hub signs people in through cygnet-auth as this client; registered anew each run with this run's secret
    /// and public address.
    func hubClient(_ prepared: Prepared) -> RegisteredClient {
        RegisteredClient(
            id: Self.hubClientID, name: "Cygnet hub", secretHash: SecretDigest.hash(prepared.hubClientSecret),
            redirectURIs: [prepared.publicURL + "/hub/oauth_callback"],
            postLogoutRedirectURIs: [prepared.publicURL + "/hub/"],
            scopes: RegisteredClient.defaultScopes + [RegisteredClient.adminScope], isPublic: false,
            // Client credentials with cygnet:admin: the admin page creates accounts through cygnet-auth's admin API.
            allowsClientCredentials: true, source: "appliance", createdAt: Int64(Date().timeIntervalSince1970))
    }

    /// Storage reads people's groups through the admin API with a client-credentials token of this client.
    func storageClient(_ prepared: Prepared) -> RegisteredClient {
        RegisteredClient(
            id: Self.storageClientID, name: "Cygnet storage",
            secretHash: SecretDigest.hash(prepared.storageClientSecret), redirectURIs: [], postLogoutRedirectURIs: [],
            scopes: [RegisteredClient.adminScope], isPublic: false, allowsClientCredentials: true, source: "appliance",
            createdAt: Int64(Date().timeIntervalSince1970))
    }

    private func createAdministratorIfNoAccounts(
        settings: ApplianceSettings, hashing: PasswordHasher.Parameters, applianceClients: [RegisteredClient]
    ) async throws -> String? {
        let logger = Logger(label: "cygnet") {
            StructuredLogHandler(label: $0, level: settings.logLevel, format: settings.logFormat)
        }
        do {
            return try await SQLStore.withStore(settings.database, logger: logger) { store in
                try await AuthSchema.migrate(store)
                for client in applianceClients { try await ClientStore(store: store).replaceAppliance(client) }
                let accounts = AccountService(store: store, hasher: PasswordHasher(parameters: hashing))
                guard try await accounts.users.list().isEmpty else { return nil }
                let password = AccountService.generatePassword()
                _ = try await accounts.add(
                    NewAccount(
                        username: Self.administratorUsername, displayName: "Administrator", password: password,
                        isAdmin: true))
                return password
            }
        } catch {
            throw CLIError.presentable(error)
        }
    }

    static func withoutTrailingSlash(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
