public import CygnetFUSE
import Foundation
import Logging
import Synchronization

/// A repository revision as a read-only file system for ``FUSEMount``: answers come from the catalogs, file
/// contents from the object cache (fetched and verified on first open).
public final class RepositoryFileSystem: ReadOnlyFileSystem {
    let client: RepositoryClient
    private let prefetcher: Prefetcher
    private let table: Mutex<InodeTable>
    private let logger: Logger
    private let variants: VariantSymlinks
    let startedAt = Date()
    /// The tree is read-only between revisions, and a switch invalidates what the kernel holds: cache long.
    private let cacheTimeout: Double = 86400

    /// `variables` expand variant symlinks (`$(NAME)` in a link's target); the mount passes its environment.
    init(
        client: RepositoryClient, revision: RepositoryRevision, logger: Logger,
        variables: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.client = client
        self.prefetcher = Prefetcher(client: client)
        self.table = Mutex(InodeTable(revision: revision))
        self.logger = logger
        self.variants = VariantSymlinks(variables: variables)
    }

    var currentRevision: RepositoryRevision { table.withLock { $0.current } }

    /// Makes `revision` current and returns the root names to invalidate in the kernel.
    func switchTo(_ revision: RepositoryRevision) -> Set<[UInt8]> {
        table.withLock { $0.switchTo(revision) }
    }

    public func lookup(parent: UInt64, name: [UInt8]) throws(FUSEError) -> FUSEEntry {
        let record = try record(parent)
        let path = RepositoryPath.join(record.path, name)
        guard let entry = try catalogEntry(path, in: record.revision) else {
            table.withLock { $0.recordMiss(parent: parent, name: name) }
            throw .noSuchFileOrDirectory
        }
        let inode = table.withLock { $0.inode(path: path, revision: record.revision) }
        return FUSEEntry(
            attributes: attributes(entry, inode: inode), entryTimeout: cacheTimeout, attributeTimeout: cacheTimeout)
    }

    public func attributes(of inode: UInt64) throws(FUSEError) -> FUSEAttributeReply {
        let (_, entry) = try resolve(inode)
        return FUSEAttributeReply(attributes(entry, inode: inode), timeout: cacheTimeout)
    }

    public func readLink(_ inode: UInt64) throws(FUSEError) -> [UInt8] {
        let (_, entry) = try resolve(inode)
        guard entry.isSymlink else { throw .invalidArgument }
        return variants.expand(entry.symlink)
    }

    public func listDirectory(_ inode: UInt64) throws(FUSEError) -> [FUSEDirectoryEntry] {
        let (record, entry) = try resolve(inode)
        guard entry.isDirectory else { throw .notDirectory }
        let children: [CatalogEntry]
        do { children = try record.revision.children(record.path) } catch { throw failure(error, record.path) }
        return children.map { child in
            let path = RepositoryPath.join(record.path, child.name)
            let childInode = table.withLock { $0.inode(path: path, revision: record.revision) }
            return FUSEDirectoryEntry(
                name: child.name,
                entry: FUSEEntry(
                    attributes: attributes(child, inode: childInode), entryTimeout: cacheTimeout,
                    attributeTimeout: cacheTimeout))
        }
    }

    public func open(_ inode: UInt64) throws(FUSEError) -> FUSEOpenFile {
        let (record, entry) = try resolve(inode)
        guard !entry.isDirectory else { throw .isDirectory }
        if let (directory, _) = RepositoryPath.split(record.path) {
            prefetcher.opened(in: directory, revision: record.revision)
        }
        do {
            if entry.isChunked {
                let chunks = try record.revision.chunks(record.path, algorithm: entry.flags.algorithm)
                return FUSEOpenFile(descriptor: try client.assembledFile(chunks, compressed: entry.flags.isCompressed))
            }
            guard let hash = entry.hash else { throw SoftwareError(.corrupt, "a regular file without a hash") }
            return FUSEOpenFile(
                descriptor: try client.object(hash, .file, compressed: entry.flags.isCompressed, size: entry.size))
        } catch {
            throw failure(error, record.path)
        }
    }

    public func release(_ inode: UInt64, file: FUSEOpenFile) {
        close(file.descriptor)
    }

    public func extendedAttribute(_ inode: UInt64, name: [UInt8]) throws(FUSEError) -> [UInt8] {
        let (record, entry) = try resolve(inode)
        if let value = entry.extendedAttributes?.value(of: name) { return value }
        guard let magic = MagicAttribute(attributeName: name) else { throw .noData }
        let value: String?
        do {
            value = try self.value(of: magic, entry: entry, path: record.path, revision: record.revision)
        } catch {
            throw failure(error, record.path)
        }
        guard let value else { throw .noData }
        return Array(value.utf8)
    }

    public func extendedAttributeNames(_ inode: UInt64) throws(FUSEError) -> [[UInt8]] {
        let (_, entry) = try resolve(inode)
        return entry.extendedAttributes?.attributes.map(\.name) ?? []
    }

    private func record(_ inode: UInt64) throws(FUSEError) -> InodeTable.Record {
        guard let record = table.withLock({ $0.record(inode) }) else { throw .noSuchFileOrDirectory }
        return record
    }

    private func resolve(_ inode: UInt64) throws(FUSEError) -> (InodeTable.Record, CatalogEntry) {
        let record = try record(inode)
        guard let entry = try catalogEntry(record.path, in: record.revision) else { throw .noSuchFileOrDirectory }
        return (record, entry)
    }

    private func catalogEntry(_ path: [UInt8], in revision: RepositoryRevision) throws(FUSEError) -> CatalogEntry? {
        do { return try revision.entry(path) } catch { throw failure(error, path) }
    }

    /// Logs what went wrong (the kernel only hears EIO) and returns the errno.
    private func failure(_ error: any Error, _ path: [UInt8]) -> FUSEError {
        logger.error(
            "cannot serve a file", metadata: ["path": "\(RepositoryPath.string(path))", "error": "\(error)"])
        return .inputOutput
    }

    private func attributes(_ entry: CatalogEntry, inode: UInt64) -> FUSEAttributes {
        // A symlink's size is its target's length, which for a variant symlink is the expanded one.
        let size = entry.isSymlink ? variants.expand(entry.symlink).count : Int(max(0, entry.size))
        return FUSEAttributes(
            inode: inode, mode: entry.mode, linkCount: max(1, entry.linkCount), userID: entry.uid, groupID: entry.gid,
            size: UInt64(size), modificationTime: FUSETimestamp(seconds: entry.mtime))
    }
}
