import CygnetFUSE
import Foundation
import Testing

/// The same tree with ``FUSEMountOptions/skipOpenRequests``: the kernel sends no open or opendir, reads and
/// listings are answered per inode, and every descriptor is still released exactly once.
@Suite struct OpenlessMountTests {
    static let options = FUSEMountOptions(
        fileSystemName: "cygnet-test", subtype: "cygnet-test", negativeEntryTimeout: 3600, skipOpenRequests: true)

    func withOpenlessTree(_ body: (String, TestTree) async throws -> Void) async throws {
        let tree = try TestTree()
        defer { tree.remove() }
        try await withMount(tree.fileSystem, options: Self.options) { mountPoint, _ in
            try await body(mountPoint, tree)
        }
        #expect(tree.fileSystem.openDescriptors == 0)
    }

    @Test func filesReadWholeAndAgain() async throws {
        try await withOpenlessTree { mountPoint, _ in
            for _ in 0..<3 {
                #expect(POSIX.read(mountPoint + "/hello.txt") == TestTree.hello)
                #expect(POSIX.read(mountPoint + "/lib/python/module.py") == TestTree.hello)
                #expect(POSIX.read(mountPoint + "/big.bin", chunkSize: 77_777) == TestTree.big)
            }
        }
    }

    @Test func bigDirectoryListsEveryNameOnce() async throws {
        try await withOpenlessTree { mountPoint, _ in
            let expected = Set([".", ".."] + (0..<TestTree.manyCount).map(TestTree.manyName))
            for _ in 0..<2 {
                let names = POSIX.listDirectory(mountPoint + "/many")
                #expect(names.count == expected.count)
                #expect(Set(names) == expected)
            }
        }
    }
}
