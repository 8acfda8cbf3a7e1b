import CygnetRuntime
import CygnetTestSupport
import Foundation
import Glibc
import Logging
import NIOCore
import SQLKit
import Testing

@testable import CygnetStorage

/// The upload journal: records come back after a crash exactly as written and in order, a torn or stale tail is not
/// read, a checkpoint empties a segment while the other takes records, and a full journal sends uploads back to
/// syncing their own files. Recovery writes back what the disk lost and leaves later changes alone.
@Suite struct UploadJournalTests {
    let base: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cygnet-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    }

    var folder: String { base.appendingPathComponent("journal").path }

    static func record(
        _ path: String, _ text: String, owner: String = "alice", changed: Int64 = 1, inode: UInt64 = 0
    )
        -> UploadJournal.Record
    {
        let content = Array(text.utf8)
        return UploadJournal.Record(
            owner: owner, path: path, changed: changed, inode: inode,
            checksums: Checksums(
                sha1: String(repeating: "a", count: 40), md5: nil, adler32: "0000ffff",
                modified: 1_700_000_000_000_000_000,
                size: Int64(content.count)),
            content: content)
    }

    /// Reserves and appends `records` as an upload does.
    static func append(_ records: [UploadJournal.Record], to journal: UploadJournal, root: String = "/") throws {
        let entries = try records.map { record in
            let room = try #require(
                journal.reserve(contentBytes: record.content.count, owner: record.owner, path: record.path, root: root))
            return UploadJournal.Entry(reservation: room, record: record)
        }
        try journal.append(entries)
    }

    /// What a crash would leave, read while the journal is still open (and locked).
    func onDisk() -> [String] {
        (0..<2).compactMap { number -> (UInt64, [UploadJournal.Record])? in
            let fd = open(folder + "/segment-\(number)", O_RDONLY)
            defer { close(fd) }
            guard let generation = JournalFormat.readHeader(fd) else { return nil }
            return (generation, JournalFormat.readRecords(fd, generation: generation))
        }.sorted { $0.0 < $1.0 }.flatMap { $0.1.map(\.path) }
    }

    @Test func recordsComeBackAfterACrashInOrderUntilReset() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let written = [Self.record("a.txt", "one"), Self.record("dir/ünï code.txt", ""), Self.record("a.txt", "two")]
        do {
            let journal = try UploadJournal(folder: folder)
            #expect(journal.leftOver().isEmpty)
            #expect(
                journal.reserve(contentBytes: 1, owner: "alice", path: "x", root: "/") == nil,
                "no records are taken before reset")
            try journal.reset()
            try Self.append(Array(written[0..<2]), to: journal)
            try Self.append([written[2]], to: journal)
        }
        let reopened = try UploadJournal(folder: folder)
        #expect(reopened.leftOver() == written)
        try reopened.reset()
        #expect(onDisk().isEmpty)
    }

    @Test func aTornOrDamagedRecordEndsWhatIsRead() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        do {
            let journal = try UploadJournal(folder: folder)
            try journal.reset()
            try Self.append(
                [Self.record("a", "first"), Self.record("b", "second"), Self.record("c", "third")], to: journal)
        }
        let segment = folder + "/segment-0"
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: segment)))
        let second = try #require(
            bytes.indices.first { Array(bytes[$0..<min($0 + 6, bytes.count)]) == Array("second".utf8) })
        bytes[second] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        #expect(try UploadJournal(folder: folder).leftOver().map(\.path) == ["a"])
    }

    @Test func aCheckpointEmptiesOneSegmentWhileTheOtherTakesRecords() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let journal = try UploadJournal(folder: folder)
        try journal.reset()
        #expect(!journal.wantsCheckpoint(age: .zero))
        try Self.append([Self.record("before", "1")], to: journal, root: base.path)
        #expect(journal.wantsCheckpoint(age: .zero))
        #expect(!journal.wantsCheckpoint(age: .seconds(3600)))
        // An upload holding room in the segment being checkpointed delays it; one that failed gives its room back.
        let failed = journal.reserve(contentBytes: 10, owner: "alice", path: "failed", root: base.path)
        #expect(failed != nil)
        _ = consume failed
        try journal.checkpoint()
        #expect(!journal.wantsCheckpoint(age: .zero))
        try Self.append([Self.record("after", "2")], to: journal, root: base.path)
        #expect(onDisk() == ["after"])
        try journal.checkpoint()
        #expect(onDisk().isEmpty)
        try Self.append([Self.record("third", "3")], to: journal, root: base.path)
        #expect(onDisk() == ["third"])
    }

    @Test func aSecondServerOnTheSameRootDoesNotShareTheJournal() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        try withExtendedLifetime(try UploadJournal(folder: folder)) {
            let refused = #expect(throws: StorageError.self) { try UploadJournal(folder: folder) }
            #expect(refused?.code == .locked)
        }
        #expect(try UploadJournal(folder: folder).leftOver().isEmpty, "free again once the first has stopped")
    }

    @Test func aFullJournalSendsUploadsBackToSyncingThemselves() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let journal = try UploadJournal(folder: folder, segmentBytes: 0)
        try journal.reset()
        let big = String(repeating: "x", count: 200 << 10)
        #expect(
            journal.reserve(contentBytes: UploadJournal.largestRecordedFile + 1, owner: "a", path: "p", root: "/")
                == nil)
        var appended = 0
        while let room = journal.reserve(contentBytes: big.utf8.count, owner: "alice", path: "big", root: base.path) {
            try journal.append([UploadJournal.Entry(reservation: room, record: Self.record("big", big))])
            appended += 1
        }
        #expect(appended == 5, "a segment of 1 MiB holds five records of 200 KiB")
        try journal.checkpoint()
        #expect(journal.reserve(contentBytes: big.utf8.count, owner: "alice", path: "big", root: base.path) != nil)
    }

    /// Makes the journal's own descriptors of `segment` refuse writes (EBADF) while `body` runs: a disk error
    /// without a seam in the journal. Every descriptor of that file this process holds is swapped for a read-only one.
    func withWritesFailing(to segment: String, _ body: () throws -> Void) throws {
        let target = try #require(realpath(segment, nil).map { String(cString: $0) })
        let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap(Int32.init).filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == target
        }
        try #require(!held.isEmpty)
        let saved = held.map { dup($0) }
        let readOnly = open(target, O_RDONLY | O_CLOEXEC)
        for fd in held { dup2(readOnly, fd) }
        defer {
            for (fd, copy) in zip(held, saved) {
                dup2(copy, fd)
                close(copy)
            }
            close(readOnly)
        }
        try body()
    }

    @Test func aFailedWriteHidesNoLaterRecordAndRevivesNoneOfItsOwn() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let segment = folder + "/segment-0"
        let failed = [Self.record("b", "bbbb"), Self.record("c", "cccc")]
        do {
            let journal = try UploadJournal(folder: folder)
            try journal.reset()
            try Self.append([Self.record("a", "aaaa")], to: journal)
            try withWritesFailing(to: segment) {
                #expect(throws: StorageError.self) { try Self.append(failed, to: journal) }
            }
            // The failed group's bytes may have reached the disk before its sync failed; put them there.
            let fd = open(segment, O_RDWR)
            defer { close(fd) }
            let generation = try #require(JournalFormat.readHeader(fd))
            var bytes = ByteBuffer()
            JournalFormat.append(Self.record("a", "aaaa"), generation: generation, to: &bytes)
            let afterFirst = UploadJournal.headerBytes + bytes.readableBytes
            bytes.clear()
            for record in failed { JournalFormat.append(record, generation: generation, to: &bytes) }
            try JournalFormat.writeAll(fd, bytes, at: afterFirst)
            // The next group, as long as "b" alone, lands where the failed one began.
            try Self.append([Self.record("d", "dddd")], to: journal)
        }
        #expect(try UploadJournal(folder: folder).leftOver().map(\.path) == ["a", "d"])
    }

    // MARK: index rows kept in memory

    /// How many rows the database itself has for `space`, read past the index.
    static func rowsWritten(_ store: SQLStore, space: String) async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT count(*) AS n FROM storage_files WHERE space = \(bind: space)")
                .first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    @Test func journaledRowsWaitInMemoryYetEveryReaderSeesThemAndTheJournalKeepsTheirIds() async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        try await TestDatabase.sqlite.withStore { store in
            try await StorageSchema.migrate(store)
            let journal = try UploadJournal(folder: folder)
            try journal.reset()
            let index = FileIndex(store: store, fileWork: .pooled, journal: journal)
            let upload = { (path: String, text: String, inode: UInt64) async throws -> Int64 in
                let record = Self.record(path, text, inode: inode)
                let room = try #require(
                    journal.reserve(contentBytes: record.content.count, owner: "alice", path: path, root: "/"))
                return try await index.recordContent(
                    space: "alice", path: try SpacePath(plain: path), entry: FileIndexTests.entry(path, inode: inode),
                    checksums: record.checksums, journaled: UploadJournal.Entry(reservation: room, record: record))
            }
            // A file a listing found before any upload: its id comes from the database.
            let listed = try await index.records(
                space: "alice", folder: .root, entries: [FileIndexTests.entry("listed.txt", inode: 9)], known: [:])
            let listedID = try #require(listed["listed.txt"]?.id)

            let first = try await upload("a.txt", "one", 1)
            let replaced = try await upload("listed.txt", "two", 10)
            #expect(replaced == listedID, "an upload over a known file keeps its id")
            #expect(try await Self.rowsWritten(store, space: "alice") == 1, "the new row waits in memory")
            #expect(try await upload("a.txt", "three", 2) == first, "a pending row keeps its id too")
            let second = try await upload("b.txt", "four", 3)
            #expect(Set([first, second, listedID]).count == 3)

            // Every reader writes the pending rows first.
            let children = try await index.children(space: "alice", folder: .root)
            #expect(try await Self.rowsWritten(store, space: "alice") == 3)
            #expect(children["a.txt"]?.id == first && children["a.txt"]?.inode == 2)
            #expect(children["a.txt"]?.checksums?.sha1 == String(repeating: "a", count: 40))
            #expect(children["listed.txt"]?.id == listedID && children["b.txt"]?.id == second)

            // A listing that finds a new file gives it an id no upload was or will be given.
            let third = try await upload("c.txt", "five", 4)
            let found = try await index.records(
                space: "alice", folder: .root, entries: [FileIndexTests.entry("session.txt", inode: 20)],
                known: try await index.children(space: "alice", folder: .root))
            let fourth = try await upload("d.txt", "six", 5)
            let ids = [first, second, listedID, third, fourth, try #require(found["session.txt"]?.id)]
            #expect(Set(ids).count == ids.count)
            #expect(found["c.txt"]?.id == third)

            // The journal carries each upload's id, for recovery after a power cut.
            let journaled = (0..<2).flatMap { number -> [UploadJournal.Record] in
                let fd = open(folder + "/segment-\(number)", O_RDONLY)
                defer { close(fd) }
                return JournalFormat.readHeader(fd).map { JournalFormat.readRecords(fd, generation: $0) } ?? []
            }
            #expect(journaled.map(\.path) == ["a.txt", "listed.txt", "a.txt", "b.txt", "c.txt", "d.txt"])
            #expect(journaled.map(\.id) == [first, listedID, first, second, third, fourth])

            // A checkpoint writes what is left; a new server's ids never meet the old ones.
            _ = try await upload("e.txt", "seven", 6)
            // The checkpoint syncs the database's disk too: the folder holding its file.
            let databaseFolder = try #require(index.databaseFolders.first)
            var isFolder: ObjCBool = false
            #expect(
                FileManager.default.fileExists(atPath: databaseFolder, isDirectory: &isFolder) && isFolder.boolValue)
            try journal.checkpoint(saving: index.flushPending, alsoSyncing: [databaseFolder])
            #expect(try await Self.rowsWritten(store, space: "alice") == 7)
            let restarted = FileIndex(store: store, fileWork: .pooled, journal: journal)
            let record = Self.record("f.txt", "eight")
            let room = try #require(journal.reserve(contentBytes: 5, owner: "alice", path: "f.txt", root: "/"))
            let later = try await restarted.recordContent(
                space: "alice", path: try SpacePath(plain: "f.txt"), entry: FileIndexTests.entry("f.txt", inode: 7),
                checksums: record.checksums, journaled: UploadJournal.Entry(reservation: room, record: record))
            #expect(later > ids.max()!)
        }
    }

    // MARK: recovery

    @Test(arguments: TestDatabase.all)
    func recoveryWritesBackWhatTheDiskLostAndKeepsLaterChanges(_ database: TestDatabase) async throws {
        defer { try? FileManager.default.removeItem(at: base) }
        try await database.withStore { store in
            try await StorageSchema.migrate(store)
            let spaces = SpaceDirectory(root: base.appendingPathComponent("spaces").path, unixAccounts: false)
            try spaces.prepare()
            let space = try await spaces.space(for: "alice")
            let root = URL(fileURLWithPath: space.root)
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("kept"), withIntermediateDirectories: true)
            try Data("edited by a session".utf8).write(to: root.appendingPathComponent("kept/edited.txt"))
            try Data("old bytes".utf8).write(to: root.appendingPathComponent("kept/torn.txt"))
            try Data("same".utf8).write(to: root.appendingPathComponent("kept/intact.txt"))
            try Data("a file where a folder was".utf8).write(to: root.appendingPathComponent("blocked"))
            try Data("the upload's own file, torn".utf8).write(to: root.appendingPathComponent("kept/own.txt"))
            try Data("another file of the same tick".utf8).write(to: root.appendingPathComponent("kept/other.txt"))
            let status = { (path: String) throws -> FileEntry in
                try #require(try space.entry(try SpacePath(plain: path)))
            }
            let (own, other) = (try status("kept/own.txt"), try status("kept/other.txt"))
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            do {
                let journal = try UploadJournal(folder: spaces.journal)
                try journal.reset()
                try Self.append(
                    [
                        {
                            var lost = Self.record("lost/deep/new.txt", "never reached the disk")
                            lost.id = 4242
                            return lost
                        }(),
                        Self.record("kept/edited.txt", "the upload", changed: now - 60_000_000_000),
                        Self.record("kept/torn.txt", "the upload's bytes", changed: now + 60_000_000_000),
                        Self.record("kept/intact.txt", "same"),
                        // Change times come from a coarse clock: at the same time only the upload's own inode is
                        // written back.
                        Self.record("kept/own.txt", "the upload", changed: own.changed, inode: own.inode),
                        Self.record("kept/other.txt", "the upload", changed: other.changed, inode: other.inode + 1),
                        Self.record("blocked/inside.txt", "its folder became a file"),
                        Self.record("twice.txt", "first"), Self.record("twice.txt", "second"),
                    ], to: journal, root: space.root)
            }
            let journal = try UploadJournal(folder: spaces.journal)
            let index = FileIndex(store: store)
            try await UploadRecovery(
                journal: journal, spaces: spaces, index: index, fileWork: .pooled,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            ).run()
            let read = { (path: String) in try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
            #expect(try read("lost/deep/new.txt") == "never reached the disk")
            #expect(try read("kept/edited.txt") == "edited by a session", "changed after the upload: kept")
            #expect(try read("kept/torn.txt") == "the upload's bytes", "older than the upload: written back")
            #expect(try read("kept/intact.txt") == "same")
            #expect(try read("kept/own.txt") == "the upload")
            #expect(try read("kept/other.txt") == "another file of the same tick")
            #expect(try read("twice.txt") == "second")
            let fallback = try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
                $0.hasPrefix("Recovered upload ")
            }
            #expect(fallback.count == 1 && fallback.first?.hasSuffix(" inside.txt") == true)
            let modified =
                try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("twice.txt").path)[
                    .modificationDate] as? Date
            #expect(modified.map { Int64($0.timeIntervalSince1970) } == 1_700_000_000)
            let records = try await index.children(space: "alice", folder: try SpacePath(plain: "lost/deep"))
            #expect(records["new.txt"]?.checksums?.adler32 == "0000ffff")
            if store.direct != nil {
                #expect(records["new.txt"]?.id == 4242, "the id its upload was answered with")
            }
            #expect(journal.leftOver().isEmpty, "the journal is empty once its files are safe")
            #expect(journal.reserve(contentBytes: 1, owner: "alice", path: "x", root: space.root) != nil)
        }
    }
}
