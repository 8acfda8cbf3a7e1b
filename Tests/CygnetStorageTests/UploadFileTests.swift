import Foundation
import NIOCore
import Testing

@testable import CygnetStorage

/// Uploads made as unnamed files in their folder: committed as a new name, over an existing file, refused over a
/// folder; nothing of them is left anywhere when they are discarded or refused.
@Suite struct UploadFileTests {
    let base: URL
    let space: SpaceFileSystem

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cygnet-upload-\(UUID().uuidString)")
        let root = base.appendingPathComponent("space")
        let staging = base.appendingPathComponent("staging")
        for folder in [root, staging, root.appendingPathComponent("docs")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        space = SpaceFileSystem(root: root.path, owner: nil, staging: staging.path)
    }

    private func contents(_ relative: String) throws -> String {
        try String(contentsOf: base.appendingPathComponent("space/" + relative), encoding: .utf8)
    }

    private func names(_ relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent(relative).path).sorted()
    }

    private func upload(_ text: String, to path: SpacePath) throws -> UploadFile {
        let upload = try space.beginUpload(for: path)
        try upload.write([ByteBuffer(string: text)])
        return upload
    }

    @Test func anUploadIsInvisibleUntilCommittedThenReplacesAtomically() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let path = try SpacePath(plain: "docs/notes.txt")
        let first = try upload("first", to: path)
        #expect(SpaceFileSystem.canLinkUnnamedFiles == (first.stagingPath == nil))
        #expect(try names("space/docs").isEmpty, "nothing is visible before the commit")
        try space.commit(first, to: path, modified: nil)
        #expect(try contents("docs/notes.txt") == "first")

        let second = try upload("second", to: path)
        let entry = try space.commit(second, to: path, modified: 1_700_000_000_000_000_000)
        #expect(try contents("docs/notes.txt") == "second")
        #expect(entry.modified == 1_700_000_000_000_000_000)
        #expect(try names("space/docs") == ["notes.txt"])
        #expect(try names("staging").isEmpty, "the replacement's link in the staging folder was renamed away")
    }

    @Test func aDiscardedOrRefusedUploadLeavesNothing() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let discarded = try upload("never", to: try SpacePath(plain: "docs/gone.txt"))
        discarded.discard()
        #expect(throws: StorageError.self) {
            try space.commit(
                try upload("x", to: try SpacePath(plain: "docs")), to: try SpacePath(plain: "docs"), modified: nil)
        }
        #expect(try names("space") == ["docs"])
        #expect(try names("space/docs").isEmpty)
        #expect(try names("staging").isEmpty)
    }

    @Test func anUploadForAMissingFolderIsRefusedWithAConflict() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let path = try SpacePath(plain: "missing/a.txt")
        let upload = try upload("x", to: path)
        #expect(upload.stagingPath != nil, "no folder to make it in: the staging folder is used")
        let error = #expect(throws: StorageError.self) { try space.commit(upload, to: path, modified: nil) }
        #expect(error?.code == .conflict)
        upload.discard()
        #expect(try names("staging").isEmpty)
    }

    @Test func aLookUpForWritingOpensTheFolderOnceAndSeesOnlyFilesAndFolders() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("space")
        try "x".write(to: root.appendingPathComponent("docs/a.txt"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("docs/link").path, withDestinationPath: "/etc/passwd")
        let (folder, existing) = try space.lookUpForWriting(try SpacePath(plain: "docs/a.txt"))
        #expect(existing?.size == 1 && existing?.isDirectory == false)
        #expect(try space.lookUpForWriting(try SpacePath(plain: "docs/link")).existing == nil)
        #expect(try space.lookUpForWriting(try SpacePath(plain: "docs/new.txt")).existing == nil)
        #expect(try space.lookUpForWriting(try SpacePath(plain: "docs")).existing?.isDirectory == true)
        let missing = #expect(throws: StorageError.self) {
            try space.lookUpForWriting(try SpacePath(plain: "missing/a.txt"))
        }
        #expect(missing?.code == .conflict)
        let upload = try space.beginUpload(in: folder)
        try upload.write([ByteBuffer(string: "new")])
        try space.commit(upload, to: try SpacePath(plain: "docs/a.txt"), modified: nil)
        #expect(try contents("docs/a.txt") == "new")
    }

    @Test func aSpaceThatKeepsItsRootOpenFollowsTheFolderWhenItIsMadeAnew() throws {
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("space")
        let kept = SpaceFileSystem(root: root.path, owner: nil, staging: space.staging, keepRootOpen: true)
        #expect(kept.rootFolder != nil)
        #expect(try kept.entry(try SpacePath(plain: "docs"))?.isDirectory == true)
        try FileManager.default.removeItem(at: root)
        #expect(try kept.entry(try SpacePath(plain: "docs")) == nil)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("again"), withIntermediateDirectories: true)
        #expect(
            try kept.entry(try SpacePath(plain: "again"))?.isDirectory == true, "the new folder, not the removed one")
    }
}
