import CLinux
import Glibc

/// Where the chunks of unfinished chunked uploads (Nextcloud chunking v2) wait: `<staging>/chunks/<user>/<transfer>`.
/// Outside every space, so half an upload is never visible; kept a day so a client can resume after a break.
struct ChunkedUploadArea: Sendable {
    let root: String

    static let keepFor: Int64 = 24 * 3600

    init(staging: String) {
        root = staging + "/chunks"
    }

    /// Transfer ids and chunk names are the client's: checked here so they can never name another place.
    static func checkName(_ name: String, what: String) throws(StorageError) {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard allowed, !name.isEmpty, name.utf8.count <= 200, name != ".", name != ".." else {
            throw StorageError(.badRequest, "\(what) may only hold letters, digits, '-', '_' and '.': \(name)")
        }
    }

    func folder(user: String, transfer: String) -> String {
        root + "/" + user + "/" + transfer
    }

    func create(user: String, transfer: String) throws(StorageError) -> Bool {
        for path in [root, root + "/" + user] where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw FileSystemErrors.mapped(errno, "preparing the upload folder")
        }
        if mkdir(folder(user: user, transfer: transfer), 0o700) == 0 { return true }
        guard errno == EEXIST else { throw FileSystemErrors.mapped(errno, "creating the upload folder") }
        return false
    }

    func exists(user: String, transfer: String) -> Bool {
        let fd = open(folder(user: user, transfer: transfer), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    /// The chunks received so far, in the order they are joined: by the number their name starts with
    /// (`0000000000000001`, `000000000000000-000000010485759`, `1`…`10000`), never assuming equal sizes.
    func chunks(user: String, transfer: String) throws(StorageError) -> [FileEntry] {
        let path = folder(user: user, transfer: transfer)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(.notFound, "There is no upload \(transfer)") }
        let entries = try SpaceFileSystem.list(FileDescriptor(fd)).filter {
            !$0.isDirectory && !$0.name.hasSuffix(".part")
        }
        return entries.sorted { Self.order(of: $0.name) < Self.order(of: $1.name) }
    }

    static func order(of name: String) -> (UInt64, String) {
        (UInt64(name.prefix { $0.isNumber }) ?? .max, name)
    }

    func remove(user: String, transfer: String) {
        let parent = open(root + "/" + user, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        try? SpaceFileSystem.remove(transfer, in: FileDescriptor(parent))
    }

    /// Drops uploads nobody touched for a day.
    func removeAbandoned(now: Int64) {
        let users = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard users >= 0 else { return }
        let usersFolder = FileDescriptor(users)
        for user in (try? SpaceFileSystem.list(usersFolder)) ?? [] where user.isDirectory {
            let fd = openat(usersFolder.raw, user.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let transfers = FileDescriptor(fd)
            for transfer in (try? SpaceFileSystem.list(transfers)) ?? []
            where transfer.isDirectory && now - transfer.modifiedSeconds > Self.keepFor {
                try? SpaceFileSystem.remove(transfer.name, in: transfers)
            }
        }
    }
}
