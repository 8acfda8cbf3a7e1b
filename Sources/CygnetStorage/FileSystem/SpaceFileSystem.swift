import CLinux
import Glibc
import NIOCore

/// One user's space on disk, reached only through paths the kernel resolves beneath its root without following
/// symbolic links (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`): a link a session planted, or a folder
/// renamed while a request runs, never leads a request outside the space.
///
/// Every call blocks; callers run them on a thread pool.
public struct SpaceFileSystem: Sendable {
    /// The space's root folder (absolute).
    public let root: String
    /// Who owns what arrives through WebDAV, so a session running as that account can change it.
    public let owner: FileOwner?
    /// Where uploads are written before they are renamed into place; on the same file system as `root`.
    public let staging: String

    /// The root folder, opened once for the server's spaces: every request resolves paths below it, and opening it
    /// by name each time walked its whole path again. Nil: opened for each call.
    let rootFolder: FileDescriptor?

    /// `keepRootOpen` for spaces kept for many requests.
    public init(root: String, owner: FileOwner?, staging: String, keepRootOpen: Bool = false) {
        self.root = root
        self.owner = owner
        self.staging = staging
        let fd = keepRootOpen ? Glibc.open(root, CYGNET_O_PATH | O_DIRECTORY | O_CLOEXEC) : -1
        rootFolder = fd >= 0 ? FileDescriptor(fd) : nil
    }

    static let resolveFlags = UInt64(CYGNET_RESOLVE_BENEATH | CYGNET_RESOLVE_NO_SYMLINKS | CYGNET_RESOLVE_NO_MAGICLINKS)

    func open(_ path: SpacePath, flags: Int32, action: String) throws(StorageError) -> FileDescriptor {
        if let rootFolder {
            let fd = Self.open(path, below: rootFolder.raw, flags: flags)
            if fd >= 0 { return FileDescriptor(fd) }
            let failure = errno
            // A root folder removed since it was opened (and perhaps made anew): look it up by name.
            guard failure == ENOENT, rootFolder.isRemoved else {
                throw FileSystemErrors.mapped(failure, action)
            }
        }
        let rootFD = Glibc.open(root, CYGNET_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw FileSystemErrors.mapped(errno, "opening your space") }
        let fd = Self.open(path, below: rootFD, flags: flags)
        let failure = errno
        close(rootFD)
        guard fd >= 0 else { throw FileSystemErrors.mapped(failure, action) }
        return FileDescriptor(fd)
    }

    private static func open(_ path: SpacePath, below rootFD: Int32, flags: Int32) -> Int32 {
        if path.isRoot { return openat(rootFD, ".", flags | O_CLOEXEC) }
        return cygnet_openat2(rootFD, path.relative, UInt64(flags | O_CLOEXEC), 0, Self.resolveFlags)
    }

    /// The entry at `path`, or nil when nothing (or only a symbolic link) is there.
    public func entry(_ path: SpacePath) throws(StorageError) -> FileEntry? {
        do throws(StorageError) {
            var entry = try open(path, flags: CYGNET_O_PATH | O_NOFOLLOW, action: "looking up \(path)").status()
            entry.name = path.name
            return Self.shown(entry)
        } catch  where Self.meansNothingThere(error) {
            return nil
        }
    }

    /// Files and folders are what a space shows; symbolic links and special files are left out.
    private static func shown(_ entry: FileEntry) -> FileEntry? {
        entry.isDirectory || entry.mode & S_IFMT == S_IFREG ? entry : nil
    }

    /// Lookup failures that mean nothing is at the path for this service (missing, a file on the way, no access).
    private static func meansNothingThere(_ error: StorageError) -> Bool {
        error.code == .notFound || error.code == .conflict || error.code == .forbidden
    }

    /// The folder that will hold `path` (409 when it does not exist) and what is at `path` now, as `entry` sees it:
    /// what an upload needs to know first, with the folder opened once.
    func lookUpForWriting(_ path: SpacePath) throws(StorageError) -> (folder: FileDescriptor, existing: FileEntry?) {
        let folder = try parentFolder(of: path)
        var info = stat()
        guard fstatat(folder.raw, path.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            let error = FileSystemErrors.mapped(errno, "looking up \(path)")
            guard Self.meansNothingThere(error) else { throw error }
            return (folder, nil)
        }
        return (folder, Self.shown(FileEntry(name: path.name, info)))
    }

    /// The folder that will hold `path`: it must exist (409 otherwise, as WebDAV asks).
    func parentFolder(of path: SpacePath) throws(StorageError) -> FileDescriptor {
        guard let parent = path.parent else {
            throw StorageError(.forbidden, "The root of your space cannot be replaced")
        }
        do throws(StorageError) {
            return try open(parent, flags: CYGNET_O_PATH | O_DIRECTORY, action: "opening the parent folder")
        } catch  where error.code == .notFound || error.code == .forbidden {
            throw StorageError(.conflict, "The folder \(parent.isRoot ? "/" : parent.description) does not exist")
        }
    }

    /// The files and folders in a folder; symbolic links, devices and names that are not UTF-8 are left out.
    public func list(_ path: SpacePath) throws(StorageError) -> [FileEntry] {
        let folder = try open(path, flags: O_RDONLY | O_DIRECTORY, action: "listing \(path)")
        return try Self.list(folder)
    }

    static func list(_ folder: FileDescriptor) throws(StorageError) -> [FileEntry] {
        let copy = dup(folder.raw)
        guard copy >= 0, let stream = fdopendir(copy) else {
            throw FileSystemErrors.mapped(errno, "listing a folder")
        }
        defer { closedir(stream) }
        var entries: [FileEntry] = []
        var info = stat()
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(validatingCString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard let name, name != ".", name != ".." else { continue }
            guard fstatat(copy, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else { continue }
            entries.append(FileEntry(name: name, info))
        }
        return entries
    }

    /// Latest change, size and counts of everything below a folder, read in one walk: the source of folder ETags
    /// and recursive sizes, so they are right even for changes a session made on disk.
    public func summary(of path: SpacePath) throws(StorageError) -> TreeSummary {
        let folder = try open(path, flags: O_RDONLY | O_DIRECTORY, action: "reading \(path)")
        return try Self.summary(of: folder)
    }

    static func summary(of folder: FileDescriptor) throws(StorageError) -> TreeSummary {
        var summary = TreeSummary(folder: try folder.status())
        for entry in try list(folder) {
            if entry.isDirectory {
                let child = openat(folder.raw, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { continue }
                summary.add(child: try Self.summary(of: FileDescriptor(child)))
            } else {
                summary.add(file: entry)
            }
        }
        return summary
    }

    public func makeDirectory(_ path: SpacePath) throws(StorageError) {
        let parent = try parentFolder(of: path)
        guard mkdirat(parent.raw, path.name, 0o755) == 0 else {
            throw FileSystemErrors.mapped(errno, "creating the folder \(path)")
        }
        if let owner { fchownat(parent.raw, path.name, owner.userID, owner.groupID, AT_SYMLINK_NOFOLLOW) }
    }

    /// Removes a file or a folder with everything in it.
    public func remove(_ path: SpacePath) throws(StorageError) {
        let parent = try parentFolder(of: path)
        try Self.remove(path.name, in: parent)
    }

    static func remove(_ name: String, in parent: FileDescriptor) throws(StorageError) {
        if unlinkat(parent.raw, name, 0) == 0 { return }
        guard errno == EISDIR else { throw FileSystemErrors.mapped(errno, "deleting \(name)") }
        let fd = openat(parent.raw, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemErrors.mapped(errno, "deleting \(name)") }
        let folder = FileDescriptor(fd)
        for child in try namesIncludingLinks(in: folder) {
            try remove(child, in: folder)
        }
        guard unlinkat(parent.raw, name, AT_REMOVEDIR) == 0 else {
            throw FileSystemErrors.mapped(errno, "deleting the folder \(name)")
        }
    }

    /// Every name in a folder, links and special files included (a delete removes them too).
    static func namesIncludingLinks(in folder: FileDescriptor) throws(StorageError) -> [String] {
        let copy = dup(folder.raw)
        guard copy >= 0, let stream = fdopendir(copy) else { throw FileSystemErrors.mapped(errno, "listing a folder") }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Renames within the space; with `replace` false an existing destination is an error, never overwritten.
    public func move(_ source: SpacePath, to destination: SpacePath, replace: Bool) throws(StorageError) {
        let from = try parentFolder(of: source)
        let to = try parentFolder(of: destination)
        let flags = replace ? 0 : UInt32(CYGNET_RENAME_NOREPLACE)
        guard cygnet_renameat2(from.raw, source.name, to.raw, destination.name, flags) == 0 else {
            throw FileSystemErrors.mapped(errno, "moving \(source) to \(destination)")
        }
    }

    /// Copies a file or a whole folder to a destination that does not exist yet, in this space or in `space` (a
    /// clone of a project shared by someone else); the copy belongs to the destination space's owner.
    public func copy(
        _ source: SpacePath, to destination: SpacePath, in space: SpaceFileSystem? = nil, recursive: Bool
    ) throws(StorageError) {
        let target = space ?? self
        let from = try parentFolder(of: source)
        let to = try target.parentFolder(of: destination)
        try target.copy(source.name, in: from, to: destination.name, in: to, recursive: recursive)
    }

    /// Copies into this space (owner, staging) from a folder that may be in another.
    private func copy(
        _ name: String, in sourceParent: FileDescriptor, to target: String, in targetParent: FileDescriptor,
        recursive: Bool
    ) throws(StorageError) {
        let fd = openat(sourceParent.raw, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemErrors.mapped(errno, "reading \(name)") }
        let source = FileDescriptor(fd)
        let entry = try source.status()
        if entry.isDirectory {
            guard mkdirat(targetParent.raw, target, 0o755) == 0 else {
                throw FileSystemErrors.mapped(errno, "creating the folder \(target)")
            }
            if let owner { fchownat(targetParent.raw, target, owner.userID, owner.groupID, AT_SYMLINK_NOFOLLOW) }
            guard recursive else { return }
            let created = openat(targetParent.raw, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard created >= 0 else { throw FileSystemErrors.mapped(errno, "opening the folder \(target)") }
            let folder = FileDescriptor(created)
            for child in try Self.list(source) {
                try copy(child.name, in: source, to: child.name, in: folder, recursive: true)
            }
            return
        }
        guard entry.mode & S_IFMT == S_IFREG else { return }
        let upload = try beginUpload(in: targetParent)
        do {
            try upload.copyContents(of: source, size: entry.size)
            try commit(upload, into: targetParent, name: target, modified: entry.modified)
        } catch {
            upload.discard()
            throw error
        }
    }
}

/// The Unix account that owns a space's files.
public struct FileOwner: Sendable, Equatable {
    public var userID: UInt32
    public var groupID: UInt32

    public init(userID: UInt32, groupID: UInt32) {
        self.userID = userID
        self.groupID = groupID
    }
}

/// What a walk below a folder found.
public struct TreeSummary: Sendable, Equatable {
    public var latestChange: Int64
    public var totalSize: Int64 = 0
    public var entries: Int64 = 0
    public var inode: UInt64

    init(folder: FileEntry) {
        latestChange = max(folder.modified, folder.changed)
        inode = folder.inode
    }

    mutating func add(file: FileEntry) {
        latestChange = max(latestChange, file.modified, file.changed)
        totalSize += file.size
        entries += 1
    }

    mutating func add(child: TreeSummary) {
        latestChange = max(latestChange, child.latestChange)
        totalSize += child.totalSize
        entries += child.entries + 1
    }

    /// Changes whenever anything below the folder changes: any write, rename, delete or creation moves a change
    /// time forward, and the counts catch two changes within one clock tick.
    public var etag: String {
        var buffer = ByteBufferAllocator().buffer(capacity: 48)
        for (index, part) in [UInt64(bitPattern: latestChange), UInt64(entries), UInt64(totalSize), inode].enumerated()
        {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            FileEntry.writeHex(part, to: &buffer)
        }
        return String(buffer: buffer)
    }
}

extension SpaceFileSystem {
    /// Sets a file's modification time (nanoseconds since 1970), as `X-OC-Mtime` and `lastmodified` ask.
    public func setModified(_ path: SpacePath, to modified: Int64) throws(StorageError) {
        let file = try open(path, flags: O_RDONLY | O_NOFOLLOW, action: "changing the time of \(path)")
        var times = [
            timespec(tv_sec: 0, tv_nsec: Int(CYGNET_UTIME_OMIT)),
            timespec(tv_sec: Int(modified / 1_000_000_000), tv_nsec: Int(modified % 1_000_000_000)),
        ]
        guard futimens(file.raw, &times) == 0 else {
            throw FileSystemErrors.mapped(errno, "changing the time of \(path)")
        }
    }
}
