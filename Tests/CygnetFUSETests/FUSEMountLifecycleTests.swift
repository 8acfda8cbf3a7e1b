import CygnetFUSE
import Foundation
import Testing

/// Mounting, refusing to mount, unmounting and invalidating kernel caches.
@Suite(.timeLimit(.minutes(1))) struct FUSEMountLifecycleTests {
    @Test func aMountPointThatIsAFileIsRefusedByName() async throws {
        let path = FileManager.default.temporaryDirectory.appending(path: "cygnet-fuse-file-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        defer { unlink(path) }
        let error = await #expect(throws: FUSEMountError.self) {
            try await FUSEMount(fileSystem: TestFileSystem(), mountPoint: path).run()
        }
        #expect(error?.code == .invalidMountPoint)
        #expect(error?.message == "The mount point \(path) is not a directory")
    }

    @Test func aMissingMountPointIsRefusedByName() async throws {
        let path = "/nonexistent/cygnet-\(UUID().uuidString)"
        let error = await #expect(throws: FUSEMountError.self) {
            try await FUSEMount(fileSystem: TestFileSystem(), mountPoint: path).run()
        }
        #expect(error?.code == .invalidMountPoint)
        #expect(error?.message == "The mount point \(path) does not exist")
    }

    @Test func anOccupiedMountPointIsRefused() async throws {
        try await withMount(TestFileSystem()) { mountPoint, mount in
            let second = await #expect(throws: FUSEMountError.self) {
                try await FUSEMount(fileSystem: TestFileSystem(), mountPoint: mountPoint).run()
            }
            #expect(second?.code == .alreadyMounted)
            #expect(second?.message.contains(mountPoint) == true)
            let again = await #expect(throws: FUSEMountError.self) { try await mount.run() }
            #expect(again?.code == .alreadyRunning)
        }
    }

    @Test func unmountBeforeRunMakesRunReturnWithoutMounting() async throws {
        let mount = FUSEMount(fileSystem: TestFileSystem(), mountPoint: "/nonexistent")
        mount.unmount()
        try await mount.run { Issue.record("mounted after unmount") }
        mount.unmount()
    }

    @Test func cancellingRunUnmounts() async throws {
        let mountPoint = try makeMountPoint()
        defer { rmdir(mountPoint) }
        let mount = FUSEMount(fileSystem: TestFileSystem(), mountPoint: mountPoint)
        let (mounted, announce) = AsyncStream<Void>.makeStream()
        let run = Task { try await mount.run { announce.yield() } }
        _ = await mounted.first { true }
        run.cancel()
        try await run.value
        #expect(POSIX.status(mountPoint).status.st_dev == POSIX.status(mountPoint + "/..").status.st_dev)
    }

    @Test func unmountEndsServingEvenWhileAFileIsOpen() async throws {
        let tree = try TestTree()
        defer { tree.remove() }
        let mountPoint = try makeMountPoint()
        defer { rmdir(mountPoint) }
        let mount = FUSEMount(fileSystem: tree.fileSystem, mountPoint: mountPoint, options: testOptions)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (mounted, announce) = AsyncStream<Void>.makeStream()
            group.addTask { try await mount.run { announce.yield() } }
            defer { mount.unmount() }
            _ = await mounted.first { true }
            let descriptor = open(mountPoint + "/big.bin", O_RDONLY)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            mount.unmount()
            try await group.waitForAll()
            #expect(POSIX.status(mountPoint).status.st_dev == POSIX.status(mountPoint + "/..").status.st_dev)
            var byte: UInt8 = 0
            #expect(errnoOf { Int32(pread(descriptor, &byte, 1, 1 << 20)) } == ENOTCONN)
        }
        // The kernel never sent the release; the wrapper released the file itself.
        #expect(tree.fileSystem.openDescriptors == 0)
    }

    @Test(.enabled(if: geteuid() == 0, "creating a stale FUSE mount by hand needs root"))
    func aStaleMountIsClearedFirst() async throws {
        let mountPoint = try makeMountPoint()
        try makeStaleMount(at: mountPoint)
        #expect(POSIX.status(mountPoint).errno == ENOTCONN)
        let tree = try TestTree()
        defer { tree.remove() }
        try await withMount(tree.fileSystem, at: mountPoint) { mountPoint, _ in
            #expect(POSIX.read(mountPoint + "/hello.txt") == TestTree.hello)
        }
    }

    /// What a FUSE server that crashed leaves behind: a mount whose /dev/fuse descriptor is gone.
    private func makeStaleMount(at path: String) throws {
        let device = open("/dev/fuse", O_RDWR)
        try #require(device >= 0)
        let options = "fd=\(device),rootmode=40000,user_id=0,group_id=0"
        let mounted = mount("cygnet-stale", path, "fuse.cygnet-stale", 0, options)
        close(device)
        try #require(mounted == 0, "mount(2) failed: \(String(cString: strerror(errno)))")
    }

    @Test func invalidatingAnEntryRevealsANewName() async throws {
        let tree = try TestTree()
        defer { tree.remove() }
        try await withMount(tree.fileSystem) { mountPoint, mount in
            #expect(POSIX.status(mountPoint + "/later.txt").errno == ENOENT)
            let attributes = FUSEAttributes(inode: 0, mode: S_IFREG | 0o644)
            tree.fileSystem.add("later.txt", in: 1, attributes: attributes, content: .link(target: []))
            #expect(POSIX.status(mountPoint + "/later.txt").errno == ENOENT, "the miss is cached")
            try mount.invalidateEntry(parent: 1, name: Array("later.txt".utf8))
            #expect(POSIX.status(mountPoint + "/later.txt").errno == 0)
        }
    }

    @Test func invalidatingADirectoryRevealsItsNewListing() async throws {
        let tree = try TestTree()
        defer { tree.remove() }
        try await withMount(tree.fileSystem) { mountPoint, mount in
            let directory = mountPoint + "/lib/python"
            #expect(POSIX.listDirectory(directory).sorted() == [".", "..", "module.py"])
            let inode = UInt64(POSIX.status(directory).status.st_ino)
            tree.fileSystem.add(
                "added.py", in: inode, attributes: FUSEAttributes(inode: 0, mode: S_IFREG | 0o644),
                content: .link(target: []))
            #expect(POSIX.listDirectory(directory).sorted() == [".", "..", "module.py"], "the listing is cached")
            try mount.invalidateInode(inode)
            #expect(POSIX.listDirectory(directory).sorted() == [".", "..", "added.py", "module.py"])
        }
    }

    @Test func invalidatingAnInodeRevealsNewAttributes() async throws {
        let tree = try TestTree()
        defer { tree.remove() }
        let mount = try await withMount(tree.fileSystem) { mountPoint, mount in
            let (before, _) = POSIX.status(mountPoint + "/hello.txt")
            tree.fileSystem.update(UInt64(before.st_ino)) { $0.attributes.size = 5 }
            #expect(POSIX.status(mountPoint + "/hello.txt").status.st_size == before.st_size, "attributes are cached")
            try mount.invalidateInode(UInt64(before.st_ino))
            #expect(POSIX.status(mountPoint + "/hello.txt").status.st_size == 5)
            #expect(POSIX.read(mountPoint + "/hello.txt") == TestTree.hello.prefix(5))
            return mount
        }
        #expect(throws: FUSEError.notConnected) { try mount.invalidateInode(1) }
    }
}
