public import CygnetRuntime
import Glibc
import SQLKit

/// One deleted file or folder, waiting in the trash.
public struct TrashItem: Sendable, Equatable {
    /// Its name in the trash: `<name>.d<deletion time>` (as Nextcloud names them).
    public var trashName: String
    public var originalPath: SpacePath
    public var deletedAt: Int64
    public var size: Int64
    public var isDirectory: Bool
}

/// Deleted files, kept outside the spaces (`<root>/.cygnet-trash/<space>/`) for a configured time so a delete
/// through WebDAV can be undone. Deleting on the disk (a session's `rm`) bypasses it, as on any computer.
public struct TrashBin: Sendable {
    let root: String
    let store: SQLStore
    /// How long items are kept, in seconds.
    let keep: Int64

    /// Where its moves and deletes run (in place on the server's file threads).
    let fileWork: FileWork

    init(spacesRoot: String, store: SQLStore, keepDays: Int, fileWork: FileWork) {
        root = spacesRoot + "/.cygnet-trash"
        self.store = store
        keep = Int64(keepDays) * 86400
        self.fileWork = fileWork
    }

    func folder(of spaceFolder: String) throws(StorageError) -> String {
        for path in [root, root + "/" + spaceFolder] where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw FileSystemErrors.mapped(errno, "preparing the trash")
        }
        return root + "/" + spaceFolder
    }

    /// Moves `path` out of the space into the trash (one rename: nothing is copied) and records where it was.
    func moveIn(_ path: SpacePath, of space: SpaceFileSystem, spaceFolder: String, owner: String, now: Int64)
        async throws
    {
        let folder = try folder(of: spaceFolder)
        let size = try await fileWork.run { () throws -> (String, Int64, Bool) in
            guard let entry = try space.entry(path) else { throw StorageError(.notFound, "\(path) does not exist") }
            let bytes = entry.isDirectory ? try space.summary(of: path).totalSize : entry.size
            var name = path.name + ".d\(now)"
            var attempt = 1
            while access(folder + "/" + name, F_OK) == 0 {
                attempt += 1
                name = path.name + ".d\(now)-\(attempt)"
            }
            let parent = try space.parentFolder(of: path)
            guard renameat(parent.raw, path.name, AT_FDCWD, folder + "/" + name) == 0 else {
                throw FileSystemErrors.mapped(errno, "moving \(path) to the trash")
            }
            return (name, bytes, entry.isDirectory)
        }
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO storage_trash (space, trash_name, original_path, deleted_at, size, is_directory)
                VALUES (\(bind: owner), \(bind: size.0), \(bind: path.description), \(bind: now), \(bind: size.1),
                  \(bind: size.2))
                """
            ).run()
        }
    }

    public func items(owner: String) async throws -> [TrashItem] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT trash_name, original_path, deleted_at, size, is_directory FROM storage_trash
                WHERE space = \(bind: owner) ORDER BY deleted_at DESC
                """
            ).all().map { row in
                TrashItem(
                    trashName: try row.decode(column: "trash_name", as: String.self),
                    originalPath: try SpacePath(plain: try row.decode(column: "original_path", as: String.self)),
                    deletedAt: try row.decode(column: "deleted_at", as: Int64.self),
                    size: try row.decode(column: "size", as: Int64.self),
                    isDirectory: try row.decode(column: "is_directory", as: Bool.self))
            }
        }
    }

    /// Puts an item back where it was (re-creating missing folders); if that name is taken meanwhile, under
    /// `<name> (restored)`. Returns where it went.
    func restore(_ item: TrashItem, into space: SpaceFileSystem, spaceFolder: String, owner: String) async throws
        -> SpacePath
    {
        let folder = try folder(of: spaceFolder)
        let target = try await fileWork.run { () throws -> SpacePath in
            var parent = SpacePath.root
            for segment in item.originalPath.segments.dropLast() {
                parent = parent.appending(segment)
                if try space.entry(parent) == nil { try space.makeDirectory(parent) }
            }
            var target = item.originalPath
            var attempt = 1
            while try space.entry(target) != nil {
                attempt += 1
                target = parent.appending(item.originalPath.name + " (restored\(attempt > 2 ? " \(attempt - 1)" : ""))")
            }
            let parentFolder = try space.parentFolder(of: target)
            guard renameat(AT_FDCWD, folder + "/" + item.trashName, parentFolder.raw, target.name) == 0 else {
                throw FileSystemErrors.mapped(errno, "restoring \(item.originalPath)")
            }
            return target
        }
        try await forget(item, owner: owner)
        return target
    }

    /// Deletes an item for good.
    func purge(_ item: TrashItem, spaceFolder: String, owner: String) async throws {
        let folder = try folder(of: spaceFolder)
        try await fileWork.run { () throws in
            let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return }
            do {
                try SpaceFileSystem.remove(item.trashName, in: FileDescriptor(fd))
            } catch let error as StorageError where error.code == .notFound {}
        }
        try await forget(item, owner: owner)
    }

    /// Deletes what has been in the trash longer than the configured time.
    func expire(owner: String, spaceFolder: String, now: Int64) async throws {
        for item in try await items(owner: owner) where now - item.deletedAt > keep {
            try await purge(item, spaceFolder: spaceFolder, owner: owner)
        }
    }

    private func forget(_ item: TrashItem, owner: String) async throws {
        try await store.transaction { db in
            try await db.raw(
                "DELETE FROM storage_trash WHERE space = \(bind: owner) AND trash_name = \(bind: item.trashName)"
            ).run()
        }
    }
}
