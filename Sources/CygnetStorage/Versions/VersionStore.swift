import Glibc

/// Earlier contents of files, kept when an upload replaces them: `<root>/.cygnet-versions/<space>/<file id>/<mtime>`.
/// A version is a hard link to the replaced file, so keeping it copies nothing; the newest `keep` are kept.
struct VersionStore: Sendable {
    let root: String
    let keep: Int

    init(spacesRoot: String, keep: Int) {
        root = spacesRoot + "/.cygnet-versions"
        self.keep = keep
    }

    struct Version: Sendable, Equatable {
        /// The replaced content's modification time, in seconds: the version's name.
        var name: String
        var size: Int64
        var modified: Int64
    }

    func folder(spaceFolder: String, fileID: Int64) throws(StorageError) -> String {
        var path = root
        for part in [spaceFolder, String(fileID)] {
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw FileSystemErrors.mapped(errno, "keeping a version") }
            path += "/" + part
        }
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw FileSystemErrors.mapped(errno, "keeping a version") }
        return path
    }

    /// Keeps the file now at `path` as a version of `fileID`, then drops the oldest beyond `keep`.
    func keep(_ path: SpacePath, of space: SpaceFileSystem, entry: FileEntry, spaceFolder: String, fileID: Int64)
        throws(StorageError)
    {
        let folder = try folder(spaceFolder: spaceFolder, fileID: fileID)
        let parent = try space.parentFolder(of: path)
        let name = String(entry.modifiedSeconds)
        if linkat(parent.raw, path.name, AT_FDCWD, folder + "/" + name, 0) != 0 && errno != EEXIST {
            throw FileSystemErrors.mapped(errno, "keeping the earlier version of \(path)")
        }
        let all = try versions(spaceFolder: spaceFolder, fileID: fileID)
        for old in all.dropFirst(keep) { unlink(folder + "/" + old.name) }
    }

    /// Newest first.
    func versions(spaceFolder: String, fileID: Int64) throws(StorageError) -> [Version] {
        let path: String = root + "/" + spaceFolder + "/" + String(fileID)
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        return try SpaceFileSystem.list(FileDescriptor(fd)).filter { !$0.isDirectory }
            .map { Version(name: $0.name, size: $0.size, modified: $0.modifiedSeconds) }
            .sorted { (Int64($0.name) ?? 0) > (Int64($1.name) ?? 0) }
    }

    func open(spaceFolder: String, fileID: Int64, version: String) throws(StorageError) -> FileDescriptor {
        guard !version.contains("/"), Int64(version) != nil else {
            throw StorageError(.notFound, "There is no version \(version)")
        }
        let path: String = root + "/" + spaceFolder + "/" + String(fileID) + "/" + version
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(.notFound, "There is no version \(version) of file \(fileID)") }
        return FileDescriptor(fd)
    }
}
