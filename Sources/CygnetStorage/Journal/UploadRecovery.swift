import CygnetRuntime
import Glibc
import Logging
import NIOCore

/// At start, before any request: writes back each journaled upload a power cut lost, then empties the journal.
///
/// For each path, the last record counts. The file is left alone when it is there with the recorded content, or
/// when it changed after the upload (a later change time, or another file of the same time: a session's edit or a
/// later upload, which then is the content to keep). Otherwise (missing, the upload's own inode with other bytes, or
/// the older file it replaced) the recorded content is written back, synced, and its id and checksums recorded. One thing this cannot tell: a file
/// deleted or moved within the second before the power cut comes back at its old place (nothing is lost).
struct UploadRecovery {
    let journal: UploadJournal
    let spaces: SpaceDirectory
    let index: FileIndex
    let fileWork: FileWork
    let logger: Logger

    enum Outcome: Equatable {
        case intact(FileEntry)
        case restored(FileEntry, at: SpacePath)
        case changedLater
    }

    func run() async throws {
        let records = journal.leftOver()
        var last: [String: Int] = [:]
        for (position, record) in records.enumerated() { last[record.owner + "\u{0}" + record.path] = position }
        var roots: Set<String> = []
        var restored = 0
        for (position, record) in records.enumerated() where last[record.owner + "\u{0}" + record.path] == position {
            guard AccountName.isValid(record.owner), let path = try? SpacePath(plain: record.path), !path.isRoot
            else {
                logger.error(
                    "The upload journal names an impossible file; skipped", metadata: ["path": "\(record.path)"])
                continue
            }
            let space = try await spaces.space(for: record.owner)
            roots.insert(space.root)
            let outcome = try await fileWork.run { try Self.recover(record, at: path, in: space) }
            var sums = record.checksums
            switch outcome {
            case .changedLater:
                continue
            case .intact(let entry):
                sums.modified = entry.modified
                try await index.restoreContent(
                    space: record.owner, path: path, entry: entry, checksums: sums, id: record.id)
            case .restored(let entry, let at):
                restored += 1
                sums.modified = entry.modified
                try await index.restoreContent(
                    space: record.owner, path: at, entry: entry, checksums: sums, id: at == path ? record.id : 0)
                logger.warning(
                    "Wrote back an upload the disk had lost",
                    metadata: ["user": "\(record.owner)", "path": "\(at)"])
            }
        }
        if !records.isEmpty {
            let synced = roots.union(index.databaseFolders)
            try await fileWork.run {
                try index.flushPending()
                try UploadJournal.syncFileSystems(holding: synced)
            }
            logger.info(
                "Checked the uploads of the last moments before the server stopped",
                metadata: ["checked": "\(records.count)", "written back": "\(restored)"])
        }
        try await fileWork.run { try journal.reset() }
    }

    static func recover(_ record: UploadJournal.Record, at path: SpacePath, in space: SpaceFileSystem)
        throws(StorageError) -> Outcome
    {
        if let current = try space.entry(path) {
            if current.isDirectory { return .changedLater }
            if current.size == record.content.count,
                try read(path, in: space, size: record.content.count) == record.content
            {
                return .intact(current)
            }
            let older = current.changed < record.changed
            let ownFile = current.changed == record.changed && current.inode == record.inode
            if !older && !ownFile { return .changedLater }
        }
        do throws(StorageError) {
            return .restored(try write(record, at: path, in: space), at: path)
        } catch {
            // Its folder is gone or is a file now: keep the content at the top of the space under a telling name.
            let name = "Recovered upload " + String(record.changed / 1_000_000_000) + " " + path.name
            let fallback = SpacePath.root.appending(name)
            return .restored(try write(record, at: fallback, in: space), at: fallback)
        }
    }

    /// What is at `path` now; a read that fails counts as other bytes (the record is written back).
    private static func read(_ path: SpacePath, in space: SpaceFileSystem, size: Int) throws(StorageError) -> [UInt8] {
        let file = try space.open(path, flags: O_RDONLY | O_NOFOLLOW, action: "reading \(path)")
        return (try? file.read(upTo: size, action: "reading \(path)")) ?? []
    }

    private static func write(_ record: UploadJournal.Record, at path: SpacePath, in space: SpaceFileSystem)
        throws(StorageError) -> FileEntry
    {
        var folder = SpacePath.root
        for name in path.segments.dropLast() {
            folder = folder.appending(name)
            if try space.entry(folder) == nil { try space.makeDirectory(folder) }
        }
        let upload = try space.beginUpload(for: path)
        do {
            try upload.write([ByteBuffer(bytes: record.content)])
            return try space.commit(upload, to: path, modified: record.checksums.modified)
        } catch {
            upload.discard()
            throw error
        }
    }
}
