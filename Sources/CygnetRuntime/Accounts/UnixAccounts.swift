import Foundation
import Subprocess
import SystemPackage

/// One Unix account per Cygnet user, as The Littlest JupyterHub does: `jupyter-<name>`, created on first use (a
/// session's start, or the first file stored) with a private home directory, which is also the user's storage space.
public struct UnixAccounts: Sendable {
    public let homeRoot: String

    public init(homeRoot: String) {
        self.homeRoot = homeRoot
    }

    public struct Account: Sendable, Equatable {
        public var name: String
        public var userID: UInt32
        public var groupID: UInt32
        public var home: String
    }

    /// The account (and home folder) name of a Cygnet user; see `AccountName.unixAccountName(for:)`.
    public static func accountName(for user: String) -> String {
        AccountName.unixAccountName(for: user)
    }

    /// Finds or creates the account and its home directory.
    public func ensure(user: String) async throws -> Account {
        let name = Self.accountName(for: user)
        if let existing = try Self.lookup(name) { return existing }
        let home = homeRoot + "/" + name
        // Arguments go straight to useradd, never through a shell; the name is already restricted above.
        let result = try await Subprocess.run(
            .name("useradd"),
            arguments: [
                "--create-home", "--home-dir", home, "--shell", "/bin/bash", "--user-group",
                "--comment", "Cygnet session account", name,
            ],
            output: .string(limit: 64 * 1024), error: .string(limit: 64 * 1024))
        if !result.terminationStatus.isSuccess, let existing = try Self.lookup(name) {
            return existing  // another spawn created it at the same moment
        }
        guard result.terminationStatus.isSuccess, let account = try Self.lookup(name) else {
            let reason = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw UnixAccountError("Could not create the Unix account \(name): \(reason)")
        }
        chmod(account.home, 0o700)
        return account
    }

    static func lookup(_ name: String) throws -> Account? {
        guard let entry = getpwnam(name) else { return nil }
        let account = Account(
            name: name, userID: entry.pointee.pw_uid, groupID: entry.pointee.pw_gid,
            home: String(cString: entry.pointee.pw_dir))
        // A system account (or root) with this name would hand a session powers it must not have.
        guard account.userID >= 1000 else {
            throw UnixAccountError("The Unix account \(name) exists but is a system account; Cygnet will not use it.")
        }
        return account
    }
}

/// An account could not be found or made; the message says why.
public struct UnixAccountError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
