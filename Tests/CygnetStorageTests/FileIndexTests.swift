import CygnetRuntime
import CygnetTestSupport
import Glibc
import Testing

@testable import CygnetStorage

@Suite struct FileIndexTests {
    /// Names that would break a record split on spaces or lines, and ones that are not ASCII.
    static let awkwardNames = [
        "plain.txt", "two words.txt", "line\nbreak", "ünïcødé ✓.ipynb", " lead", "trail ", "a  b",
    ]

    static func entry(_ name: String, inode: UInt64, size: Int64 = 0, modified: Int64 = 0) -> FileEntry {
        var info = stat()
        info.st_mode = S_IFREG | 0o644
        info.st_ino = __ino_t(inode)
        var entry = FileEntry(name: name, info)
        (entry.size, entry.modified) = (size, modified)
        return entry
    }

    @Test(arguments: TestDatabase.all)
    func aFolderListingGivesEveryNameItsRecordInOneQuery(_ database: TestDatabase) async throws {
        try await database.withStore { store in
            try await StorageSchema.migrate(store)
            let index = FileIndex(store: store)
            let folder = try SpacePath(plain: "Project one/data")
            let entries = Self.awkwardNames.enumerated().map { Self.entry($1, inode: UInt64($0 + 1)) }
            #expect(try await index.children(space: "alice", folder: folder).isEmpty)
            let created = try await index.records(space: "alice", folder: folder, entries: entries, known: [:])
            #expect(Set(created.keys) == Set(Self.awkwardNames))
            #expect(Set(created.values.map(\.id)).count == Self.awkwardNames.count)

            let sums = Checksums(sha1: "aa", md5: nil, adler32: "0000ffff", modified: -5, size: 12)
            let id = try await index.recordContent(
                space: "alice", path: folder.appending("two words.txt"), entry: Self.entry("two words.txt", inode: 2),
                checksums: sums)
            #expect(id == created["two words.txt"]?.id)

            let read = try await index.children(space: "alice", folder: folder)
            #expect(read.count == Self.awkwardNames.count)
            for name in Self.awkwardNames {
                #expect(read[name]?.id == created[name]?.id, "\(name)")
            }
            #expect(read["two words.txt"]?.checksums == sums)
            #expect(read["plain.txt"]?.checksums == nil)
            let missing = try await index.missingMD5(limit: 10)
            #expect(missing.count == 1 && missing.first?.path == "Project one/data/two words.txt")
            #expect(missing.first?.space == "alice" && missing.first?.size == 12 && missing.first?.modified == -5)
            try await index.addMD5(
                space: "alice", path: folder.appending("two words.txt"), md5: "bb",
                for: Self.entry("two words.txt", inode: 2, size: 12, modified: -5))
            #expect(try await index.missingMD5(limit: 10).isEmpty)
            #expect(try await index.children(space: "bob", folder: folder).isEmpty)
            #expect(try await index.children(space: "alice", folder: .root).isEmpty)
        }
    }

    @Test(arguments: TestDatabase.all)
    func uploadsRecordedTogetherKeepOneIdPerPath(_ database: TestDatabase) async throws {
        try await database.withStore { store in
            try await StorageSchema.migrate(store)
            let sums = { (sha1: String) in Checksums(sha1: sha1, md5: nil, adler32: nil, modified: 1, size: 2) }
            let records = ["a.txt", "b.txt", "a.txt"].enumerated().map { position, path in
                FileIndex.ContentRecord(
                    space: "alice", path: path, parent: "", inode: Int64(position), checksums: sums("\(position)"))
            }
            let ids = try await FileIndex.writeContent(records, to: store)
            #expect(ids.count == 3)
            #expect(ids[0] == ids[2])
            #expect(ids[0] != ids[1])
            let read = try await FileIndex(store: store).children(space: "alice", folder: .root)
            #expect(read["a.txt"]?.checksums?.sha1 == "2")
            #expect(read["a.txt"]?.inode == 2)
            // An SQLite file also has the direct connection, which writes the same rows with the same ids.
            if let direct = store.direct {
                let again = records.map {
                    FileIndex.ContentRecord(
                        space: $0.space, path: $0.path, parent: $0.parent, inode: $0.inode + 10,
                        checksums: sums("direct"))
                }
                #expect(try direct.transaction { try FileIndex.writeContent(again, on: $0) } == ids)
                let reread = try await FileIndex(store: store).children(space: "alice", folder: .root)
                #expect(reread["b.txt"]?.checksums?.sha1 == "direct" && reread["a.txt"]?.inode == 12)
            }
        }
    }

    @Test func packedRecordsKeepNegativeNumbersAndEmptyFields() throws {
        let text = "7 -9223372036854775808 -5 12 aa  0000ffff 9 dir/a b c" + "8 3    x  6 dir/\nz"
        let records = try #require(Self.parse(text, dropping: 4))
        #expect(records["a b c"]?.inode == UInt64(bitPattern: Int64.min))
        #expect(
            records["a b c"]?.checksums == Checksums(sha1: "aa", md5: nil, adler32: "0000ffff", modified: -5, size: 12))
        #expect(records["\nz"]?.id == 8)
        #expect(records["\nz"]?.checksums == nil)
    }

    @Test(arguments: [
        "7 x 1 2 a b c 5 dir/a", "7 1 1 2 a b c 50 dir/a", "7 1 1 2 a b c 3 dir/a", "-", "7 1 -- 2 a b c 5 dir/a",
    ])
    func malformedPackedRecordsAreRefused(_ text: String) {
        #expect(Self.parse(text, dropping: 4) == nil)
    }

    static func parse(_ text: String, dropping: Int) -> [String: FileRecord]? {
        var text = text
        return text.withUTF8 { PackedRecords.parse($0, dropping: dropping) }
    }
}
