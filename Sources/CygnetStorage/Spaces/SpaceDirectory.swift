import CygnetRuntime
import Glibc
import Synchronization

/// Where each user's space lies: `<root>/jupyter-<name>`, the folder the hub makes the user's session home, created on
/// first use. A session's home folder and the WebDAV space are the same folder.
public struct SpaceDirectory: Sendable {
    public let root: String
    public let unixAccounts: Bool
    /// Spaces already made sure of: every request needs its user's space, and making sure each time cost a mkdir
    /// (with Unix accounts, a read of /etc/passwd) per request.
    private let ready = ReadySpaces()

    public init(root: String, unixAccounts: Bool) {
        self.root = root
        self.unixAccounts = unixAccounts
    }

    private final class ReadySpaces: Sendable {
        let spaces = Mutex<[String: SpaceFileSystem]>([:])
    }

    /// Uploads in progress; inside `root`, so on the same file system as every space (renames stay atomic).
    public var staging: String { root + "/.cygnet-staging" }
    /// The upload journal (`UploadJournal`): beside the spaces, on their disk in the usual setup.
    public var journal: String { root + "/.cygnet-journal" }

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

    /// What a user's files take on disk, without creating anything (0 when they have no space yet).
    public func usage(of user: String) -> Int64 {
        guard let space = existingSpace(of: user) else { return 0 }
        return (try? space.summary(of: .root).totalSize) ?? 0
    }

    /// The space of `user` if it exists, for reading only (nothing is created, no owner is set).
    func existingSpace(of user: String) -> SpaceFileSystem? {
        let name = folderName(for: user)
        var folder = root + "/" + name
        if unixAccounts, let entry = getpwnam(name) { folder = String(cString: entry.pointee.pw_dir) }
        var info = stat()
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        return SpaceFileSystem(root: folder, owner: nil, staging: staging)
    }

    /// The space of `user`, created (private to its owner) when it does not exist yet. With Unix accounts it is the
    /// account's home folder, and the account is made first if the user never had a session.
    public func space(for user: String) async throws -> SpaceFileSystem {
        if let known = ready.spaces.withLock({ $0[user] }) { return known }
        let space: SpaceFileSystem
        if unixAccounts {
            let account = try await UnixAccounts(homeRoot: root).ensure(user: user)
            space = SpaceFileSystem(
                root: account.home, owner: FileOwner(userID: account.userID, groupID: account.groupID),
                staging: staging, keepRootOpen: true)
        } else {
            let folder = root + "/" + folderName(for: user)
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw StorageError(
                    .internalError, "Cannot create the space \(folder): \(String(cString: strerror(errno)))")
            }
            space = SpaceFileSystem(root: folder, owner: nil, staging: staging, keepRootOpen: true)
        }
        ready.spaces.withLock { $0[user] = space }
        return space
    }
}
