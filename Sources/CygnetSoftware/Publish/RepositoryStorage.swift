import CygnetRuntime
public import Foundation

/// A repository's files as served (`<storage>/<name>/`): objects under `data/`, the signed manifest and whitelist.
/// Every write is a temporary file in `data/txn` renamed into place, so readers never see half an object.
public struct RepositoryStorage: Sendable {
    public let name: RepositoryName
    public let root: URL

    public init(storage: URL, name: RepositoryName) {
        self.name = name
        self.root = storage.appending(path: name.description)
    }

    var manifestPath: String { root.appending(path: ".cvmfspublished").path }
    var whitelistPath: String { root.appending(path: ".cvmfswhitelist").path }
    var transactionDirectory: String { root.appending(path: "data/txn").path }

    public var exists: Bool { FileManager.default.fileExists(atPath: manifestPath) }

    /// Creates `data/00` … `data/ff` and `data/txn`.
    func create() throws {
        for byte in 0..<256 {
            try AtomicFile.makeDirectory(root.appending(path: "data/" + [UInt8(byte)].hexadecimal))
        }
        try AtomicFile.makeDirectory(URL(filePath: transactionDirectory))
        if !FileManager.default.fileExists(atPath: root.appending(path: ".cvmfs_master_replica").path) {
            try AtomicFile.write([], to: root.appending(path: ".cvmfs_master_replica"))
        }
    }

    func path(of hash: ContentHash, _ kind: ObjectKind) -> String {
        root.appending(path: hash.objectPath(kind)).path
    }

    func contains(_ hash: ContentHash, _ kind: ObjectKind) -> Bool {
        access(path(of: hash, kind), F_OK) == 0
    }

    /// Stores bytes already in object form (compressed where the format wants it); returns their hash.
    @discardableResult
    func store(_ bytes: [UInt8], kind: ObjectKind, algorithm: HashAlgorithm) throws -> ContentHash {
        let hash = ContentHash.of(bytes, algorithm: algorithm)
        guard !contains(hash, kind) else { return hash }
        let temporary = try TemporaryObject(directory: transactionDirectory)
        try temporary.write(bytes)
        try temporary.commit(to: path(of: hash, kind))
        return hash
    }

    func load(_ hash: ContentHash, _ kind: ObjectKind) throws -> [UInt8] {
        let bytes = try AtomicFile.read(path(of: hash, kind))
        guard ContentHash.of(bytes, algorithm: hash.algorithm) == hash else {
            throw SoftwareError(.corrupt, "the object \(hash.objectPath(kind)) does not match its hash")
        }
        return bytes
    }

    func readManifest() throws -> [UInt8]? {
        do { return try AtomicFile.read(manifestPath) } catch let error as SoftwareError where error.code == .notFound {
            return nil
        }
    }

    /// The switch to a new revision: one rename. Objects are renamed into place before, so a publish killed at any
    /// point leaves the previous manifest, and everything it points at, as it was. (Objects are not fsynced: that
    /// protects against a crash of the process, not of the machine.)
    func writeManifest(_ bytes: [UInt8]) throws {
        try AtomicFile.write(bytes, to: URL(filePath: manifestPath))
    }

    func writeWhitelist(_ bytes: [UInt8]) throws { try AtomicFile.write(bytes, to: URL(filePath: whitelistPath)) }
}

/// A file in `data/txn` that becomes an object by rename, or disappears.
final class TemporaryObject {
    let path: String
    let descriptor: Int32
    private var committed = false

    init(directory: String) throws {
        var template = Array("\(directory)/object.XXXXXX".utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw SoftwareError.system("cannot create a file in \(directory)", errno: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        path = String(cString: template)
        fchmod(descriptor, 0o644)
    }

    deinit {
        close(descriptor)
        if !committed { unlink(path) }
    }

    func write(_ bytes: [UInt8]) throws { try AtomicFile.writeAll(descriptor, bytes, path: path) }

    func write(_ buffer: UnsafeRawBufferPointer) throws { try AtomicFile.writeAll(descriptor, buffer, path: path) }

    /// Renames into place; when another writer stored the same object first, ours is dropped.
    func commit(to destination: String) throws {
        if access(destination, F_OK) == 0 { return }
        guard rename(path, destination) == 0 else {
            throw SoftwareError.system("cannot store the object \(destination)", errno: errno)
        }
        committed = true
    }
}
