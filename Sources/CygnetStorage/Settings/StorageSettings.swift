public import CygnetRuntime
import Foundation

/// The `storage:` section of the appliance configuration.
public struct StorageSettings: Sendable {
    public var host: String
    public var port: Int
    /// Where the users' spaces are (`<root>/<user>`, or the hub's home folders `<root>/jupyter-<user>`).
    public var root: String
    /// Spaces are the home folders of one Unix account per user, and files are given to that account.
    public var unixAccounts: Bool
    /// cygnet-auth's issuer URL, to accept its bearer tokens; empty turns bearer tokens off.
    public var authIssuer: String
    /// Where the signing keys are fetched (loopback, not through the front door).
    public var authJWKSURL: String
    /// The audience bearer tokens must name: `cygnet`, which cygnet-auth puts in every access token it issues.
    public var tokenAudience: String
    /// cygnet-auth's internal address and storage's client there, to ask for users' groups (group shares and
    /// quotas); no secret, no group lookups.
    public var authURL: String
    public var clientID: String
    public var clientSecret: String
    /// Quotas by group: a member gets the largest of their groups' (their own, if set, wins).
    public var groupQuotas: [String: Int64?]
    public var limits: StorageLimits
    /// What each user may store unless `cygnet users quota` says otherwise; nil for no limit.
    public var defaultQuota: Int64?
    /// Days a deleted file stays in the trash; 0 deletes at once.
    public var trashDays: Int
    /// Earlier contents kept per file when uploads replace it; 0 keeps none.
    public var versionsKept: Int
    /// How old a small upload kept safe in the upload journal may grow before its file is written out to disk;
    /// 0: no journal, each upload waits for the disk itself.
    public var journalCheckpointSeconds: Int

    public static let section = "storage"

    public init(reading settings: SettingsReader, appliance: ApplianceSettings) throws {
        host = try settings.string("storage.host", default: "127.0.0.1")
        port = try settings.int("storage.port", default: 8085, range: 1...65535)
        // A session's home folder is the user's space, so by default storage follows the hub's home settings.
        let isRoot = getuid() == 0
        let hubAccounts = try settings.bool("hub.sessions.unix_accounts", default: isRoot)
        unixAccounts = try settings.bool("storage.unix_accounts", default: hubAccounts)
        if unixAccounts && !isRoot {
            throw ConfigurationError(
                key: "storage.unix_accounts", value: "true",
                allowed: "needs Cygnet to run as root (files are given to each user's account); set it to false")
        }
        let hubHomes = try settings.string(
            "hub.sessions.home_root", default: unixAccounts ? "/home" : appliance.stateDirectory + "/homes")
        root = try settings.string("storage.root", default: hubHomes)
        guard root.hasPrefix("/") else {
            throw ConfigurationError(
                key: "storage.root", value: root, allowed: "must be an absolute path such as /home")
        }
        authIssuer = try settings.string("storage.auth.issuer", default: appliance.publicURL + "/auth")
        authJWKSURL = try settings.string("storage.auth.jwks_url", default: "http://127.0.0.1:8001/auth/jwks")
        tokenAudience = try settings.string("storage.auth.audience", default: "cygnet")
        authURL = try settings.string("storage.auth.url", default: "http://127.0.0.1:8001/auth")
        clientID = try settings.string("storage.auth.client_id", default: "cygnet-storage")
        clientSecret = try settings.string("storage.auth.client_secret", default: "")
        var groupQuotas: [String: Int64?] = [:]
        for group in settings.childNames(of: "storage.quota.groups") {
            groupQuotas[group] = try settings.byteSize("storage.quota.groups.\(group)", default: nil)
        }
        self.groupQuotas = groupQuotas
        defaultQuota = try settings.byteSize("storage.quota.default", default: nil)
        trashDays = try settings.int("storage.trash.keep_days", default: 30, range: 0...3650)
        versionsKept = try settings.int("storage.versions.keep", default: 10, range: 0...1000)
        journalCheckpointSeconds = try settings.int("storage.journal.checkpoint_seconds", default: 1, range: 0...3600)
        limits = StorageLimits()
        limits.xmlBody = try settings.int(
            "storage.limits.xml_body_bytes", default: 1 << 20, range: 1024...(64 << 20))
    }
}
