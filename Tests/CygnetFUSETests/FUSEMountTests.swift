import CygnetFUSE
import Foundation
import Synchronization
import Testing

/// The standard tree mounted for real and examined with plain POSIX calls.
@Suite(.timeLimit(.minutes(1))) struct FUSEMountTests {
    @Test func statReportsTheAttributes() async throws {
        try await withMountedTree { mountPoint, _ in
            let (root, rootError) = POSIX.status(mountPoint)
            #expect(rootError == 0)
            #expect(root.st_mode == S_IFDIR | 0o755)
            #expect(root.st_ino == 1)
            let (hello, _) = POSIX.status(mountPoint + "/hello.txt")
            #expect(hello.st_mode == S_IFREG | 0o644)
            #expect(hello.st_size == TestTree.hello.count)
            #expect(hello.st_nlink == 1)
            #expect(hello.st_uid == 1234 && hello.st_gid == 5678)
            #expect(hello.st_mtim.tv_sec == 1_700_000_000 && hello.st_mtim.tv_nsec == 123_456_789)
            #expect(POSIX.status(mountPoint + "/tool.sh").status.st_mode == S_IFREG | 0o755)
            #expect(access(mountPoint + "/tool.sh", X_OK) == 0)
            #expect(POSIX.status(mountPoint + "/lib/python").status.st_mode == S_IFDIR | 0o755)
        }
    }

    @Test func statfsReportsAReadOnlyFileSystem() async throws {
        try await withMountedTree { mountPoint, _ in
            var statistics = statvfs()
            #expect(statvfs(mountPoint, &statistics) == 0)
            #expect(statistics.f_flag & UInt(ST_RDONLY) != 0)
            #expect(statistics.f_bsize == 4096)
            #expect(statistics.f_bfree == 0 && statistics.f_ffree == 0)
            #expect(statistics.f_namemax == 255)
        }
    }

    @Test func filesReadWhole() async throws {
        try await withMountedTree { mountPoint, _ in
            #expect(POSIX.read(mountPoint + "/hello.txt") == TestTree.hello)
            #expect(POSIX.read(mountPoint + "/lib/python/module.py") == TestTree.hello)
            #expect(POSIX.read(mountPoint + "/tool.sh") == TestTree.script)
            // Odd chunk sizes cross every page and request boundary.
            #expect(POSIX.read(mountPoint + "/big.bin", chunkSize: 1 << 20) == TestTree.big)
            #expect(POSIX.read(mountPoint + "/big.bin", chunkSize: 77_777) == TestTree.big)
        }
    }

    @Test func filesReadAtRandomOffsets() async throws {
        try await withMountedTree { mountPoint, _ in
            let descriptor = open(mountPoint + "/big.bin", O_RDONLY)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            var generator = SeededGenerator(seed: 42)
            for _ in 0..<200 {
                let offset = Int.random(in: 0..<TestTree.big.count, using: &generator)
                let count = Int.random(in: 1...300_000, using: &generator)
                let expected = TestTree.big[offset..<min(offset + count, TestTree.big.count)]
                #expect(POSIX.read(descriptor, count: count, at: offset) == expected, "offset \(offset) count \(count)")
            }
            #expect(POSIX.read(descriptor, count: 100, at: TestTree.big.count + 5).isEmpty)
        }
    }

    @Test func symbolicLinksResolve() async throws {
        try await withMountedTree { mountPoint, _ in
            #expect(POSIX.readLink(mountPoint + "/link") == "hello.txt")
            #expect(POSIX.linkStatus(mountPoint + "/link").st_mode == S_IFLNK | 0o777)
            #expect(POSIX.read(mountPoint + "/link") == TestTree.hello)
            #expect(POSIX.readLink(mountPoint + "/hello.txt") == nil)
        }
    }

    @Test func extendedAttributes() async throws {
        try await withMountedTree { mountPoint, _ in
            let path = mountPoint + "/tagged.txt"
            #expect(POSIX.extendedAttributeNames(path) == ["user.repository", "user.revision"])
            let sizeQuery = POSIX.extendedAttribute(path, "user.repository", size: 0)
            #expect(sizeQuery.result == "software.cygnet".utf8.count)
            #expect(POSIX.extendedAttribute(path, "user.repository", size: 64).value == Data("software.cygnet".utf8))
            #expect(POSIX.extendedAttribute(path, "user.repository", size: 3).errno == ERANGE)
            #expect(POSIX.extendedAttribute(path, "user.absent", size: 64).errno == ENODATA)
            #expect(POSIX.extendedAttributeNames(mountPoint + "/hello.txt").isEmpty)
        }
    }

    @Test func bigDirectoryListsEveryNameOnce() async throws {
        try await withMountedTree { mountPoint, tree in
            let expected = Set([".", ".."] + (0..<TestTree.manyCount).map(TestTree.manyName))
            let names = POSIX.listDirectory(mountPoint + "/many")
            #expect(names.count == expected.count)
            #expect(Set(names) == expected)
            // readdirplus delivered the first entries' attributes with the listing: no lookup needed.
            #expect(POSIX.status(mountPoint + "/many/entry-00000").errno == 0)
            #expect(tree.fileSystem.lookups(of: "entry-00000") == 0)
            // The second listing comes from the kernel's cache.
            let listings = tree.fileSystem.listings
            #expect(POSIX.listDirectory(mountPoint + "/many").count == expected.count)
            #expect(tree.fileSystem.listings == listings)
        }
    }

    @Test func absentNamesAreCachedAsNegativeEntries() async throws {
        try await withMountedTree { mountPoint, tree in
            #expect(POSIX.status(mountPoint + "/absent.py").errno == ENOENT)
            #expect(POSIX.status(mountPoint + "/absent.py").errno == ENOENT)
            #expect(POSIX.status(mountPoint + "/lib/absent.py").errno == ENOENT)
            #expect(tree.fileSystem.lookups(of: "absent.py") == 2)
        }
    }

    @Test func writesAreRefused() async throws {
        try await withMountedTree { mountPoint, _ in
            #expect(errnoOf { open(mountPoint + "/hello.txt", O_WRONLY) } == EROFS)
            #expect(errnoOf { open(mountPoint + "/new.txt", O_WRONLY | O_CREAT, 0o644) } == EROFS)
            #expect(errnoOf { mkdir(mountPoint + "/new", 0o755) } == EROFS)
            #expect(errnoOf { unlink(mountPoint + "/hello.txt") } == EROFS)
        }
    }

    @Test func concurrentReadersSeeTheirOwnRanges() async throws {
        try await withMountedTree { mountPoint, _ in
            let mismatches = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: 8) { reader in
                let descriptor = open(mountPoint + "/big.bin", O_RDONLY)
                defer { close(descriptor) }
                for round in 0..<8 {
                    let offset = (reader * 8 + round) * 150_001 % (TestTree.big.count - 200_000)
                    if POSIX.read(descriptor, count: 200_000, at: offset) != TestTree.big[offset..<offset + 200_000] {
                        mismatches.add(1, ordering: .relaxed)
                    }
                }
            }
            #expect(mismatches.load(ordering: .relaxed) == 0)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing offset can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
