import CygnetFUSE
import Foundation

/// The tree most tests mount, and what they expect to find in it:
///
///     hello.txt   0644, uid 1234, gid 5678, a fixed mtime with nanoseconds
///     tool.sh     0755
///     big.bin     10 MiB of a pattern
///     link        -> hello.txt
///     tagged.txt  with two extended attributes
///     lib/python/module.py
///     many/       10,000 files entry-00000 … entry-09999
struct TestTree {
    static let hello = Data("Hello, FUSE!\n".utf8)
    static let script = Data("#!/bin/sh\necho hi\n".utf8)
    static let big: Data = {
        var data = Data(count: 10 << 20)
        data.withUnsafeMutableBytes { bytes in
            // Varies within and across pages, so a misplaced chunk cannot compare equal.
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 12) }
        }
        return data
    }()
    static let modificationTime = FUSETimestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)
    static let manyCount = 10_000
    static let extendedAttributes: [String: String] = ["user.repository": "software.cygnet", "user.revision": "42"]

    let fileSystem = TestFileSystem()
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appending(path: "cygnet-fuse-backing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try addFiles()
        try addDirectories()
    }

    func remove() {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func backingFile(_ name: String, _ content: Data) throws -> TestFileSystem.Content {
        let url = scratch.appending(path: name)
        try content.write(to: url)
        return .file(backingPath: url.path)
    }

    private func addFiles() throws {
        let hello = FUSEAttributes(
            inode: 0, mode: S_IFREG | 0o644, userID: 1234, groupID: 5678, size: UInt64(Self.hello.count),
            modificationTime: Self.modificationTime)
        fileSystem.add("hello.txt", in: 1, attributes: hello, content: try backingFile("hello", Self.hello))
        let script = FUSEAttributes(inode: 0, mode: S_IFREG | 0o755, size: UInt64(Self.script.count))
        fileSystem.add("tool.sh", in: 1, attributes: script, content: try backingFile("script", Self.script))
        let big = FUSEAttributes(inode: 0, mode: S_IFREG | 0o644, size: UInt64(Self.big.count))
        fileSystem.add("big.bin", in: 1, attributes: big, content: try backingFile("big", Self.big))
        let link = FUSEAttributes(inode: 0, mode: S_IFLNK | 0o777, size: 9)
        fileSystem.add("link", in: 1, attributes: link, content: .link(target: Array("hello.txt".utf8)))
        let tagged = fileSystem.add(
            "tagged.txt", in: 1, attributes: hello, content: try backingFile("tagged", Self.hello))
        fileSystem.update(tagged) { node in
            for (name, value) in Self.extendedAttributes {
                node.extendedAttributes[Array(name.utf8)] = Array(value.utf8)
            }
        }
    }

    private func addDirectories() throws {
        let lib = addDirectory("lib", in: 1)
        let python = addDirectory("python", in: lib)
        let module = FUSEAttributes(inode: 0, mode: S_IFREG | 0o644, size: UInt64(Self.hello.count))
        fileSystem.add("module.py", in: python, attributes: module, content: try backingFile("module", Self.hello))
        let many = addDirectory("many", in: 1)
        let content = try backingFile("entry", Self.hello)
        for index in 0..<Self.manyCount {
            fileSystem.add(Self.manyName(index), in: many, attributes: module, content: content)
        }
    }

    @discardableResult
    func addDirectory(_ name: String, in parent: UInt64) -> UInt64 {
        let attributes = FUSEAttributes(inode: 0, mode: S_IFDIR | 0o755, linkCount: 2)
        return fileSystem.add(name, in: parent, attributes: attributes, content: .directory)
    }

    static func manyName(_ index: Int) -> String {
        "entry-" + String(repeating: "0", count: 5 - String(index).count) + String(index)
    }
}
