import CygnetRuntime
import Glibc

/// Where each user's space lies: `<root>/jupyter-<name>`, the folder the hub makes the user's session home, created on
/// first use. A session's home folder and the WebDAV space are the same folder.
public struct SpaceDirectory: Sendable {
    public let root: String
    public let unixAccounts: Bool

    public init(root: String, unixAccounts: Bool) {
        self.root = root
        self.unixAccounts = unixAccounts
    }

    /// Uploads in progress; inside `root`, so on the same file system as every space (renames stay atomic).
    public var staging: String { root + "/.cygnet-staging" }

    public func folderName(for user: String) -> String {
        AccountName.unixAccountName(for: user)
    }

    /// Prepares the root and the staging folder (readable by the service only).
    public func prepare() throws(StorageError) {
        for folder in [root, staging] {
            if mkdir(folder, folder == staging ? 0o700 : 0o755) != 0 && errno != EEXIST {
                throw StorageError(.internalError, "Cannot create \(folder): \(String(cString: strerror(errno)))")
            }
        }
        SpaceFileSystem.clearStaging(staging)
    }

    /// The space of `user`, created (private to its owner) when it does not exist yet.
    public func space(for user: String) throws(StorageError) -> SpaceFileSystem {
        let folder = root + "/" + folderName(for: user)
        let owner = unixAccounts ? Self.account(named: folderName(for: user)) : nil
        if mkdir(folder, 0o700) == 0 {
            if let owner { chown(folder, owner.userID, owner.groupID) }
        } else if errno != EEXIST {
            throw StorageError(.internalError, "Cannot create the space \(folder): \(String(cString: strerror(errno)))")
        }
        return SpaceFileSystem(root: folder, owner: owner, staging: staging)
    }

    static func account(named name: String) -> FileOwner? {
        guard let entry = getpwnam(name), entry.pointee.pw_uid >= 1000 else { return nil }
        return FileOwner(userID: entry.pointee.pw_uid, groupID: entry.pointee.pw_gid)
    }
}
