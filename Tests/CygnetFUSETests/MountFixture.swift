import CygnetFUSE
import Foundation
import Testing

/// Options for test mounts: long negative caching, so a second miss provably comes from the kernel.
let testOptions = FUSEMountOptions(fileSystemName: "cygnet-test", subtype: "cygnet-test", negativeEntryTimeout: 3600)

/// A fresh, empty directory to mount on.
func makeMountPoint() throws -> String {
    let url = FileManager.default.temporaryDirectory.appending(path: "cygnet-fuse-mount-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// Mounts `fileSystem` on `mountPoint` (by default a fresh directory), runs `body` with the mount point, and
/// always unmounts, then waits for ``FUSEMount/run(onMounted:)`` to return: every test thereby checks that
/// unmounting ends the loop.
func withMount<Result>(
    _ fileSystem: some ReadOnlyFileSystem, at mountPoint: String? = nil, options: FUSEMountOptions = testOptions,
    _ body: (String, FUSEMount) async throws -> Result
) async throws -> Result {
    let mountPoint = try mountPoint ?? makeMountPoint()
    defer { rmdir(mountPoint) }
    let mount = FUSEMount(fileSystem: fileSystem, mountPoint: mountPoint, options: options)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let (mounted, announce) = AsyncStream<Void>.makeStream()
        group.addTask {
            defer { announce.finish() }
            try await mount.run { announce.yield() }
        }
        defer { mount.unmount() }
        guard await mounted.first(where: { true }) != nil else {
            try await group.waitForAll()
            throw MountFixtureError.returnedBeforeMounting
        }
        let result = try await body(mountPoint, mount)
        mount.unmount()
        try await group.waitForAll()
        return result
    }
}

/// Mounts the standard ``TestTree``; checks afterwards that every descriptor the file system opened was
/// released exactly once.
func withMountedTree<Result>(_ body: (String, TestTree) async throws -> Result) async throws -> Result {
    let tree = try TestTree()
    defer { tree.remove() }
    let result = try await withMount(tree.fileSystem) { mountPoint, _ in try await body(mountPoint, tree) }
    #expect(tree.fileSystem.openDescriptors == 0)
    return result
}

enum MountFixtureError: Error {
    case returnedBeforeMounting
}

/// The errno of a failing POSIX call, or 0 if it succeeded.
func errnoOf(_ call: () -> Int32) -> Int32 {
    call() == -1 ? errno : 0
}
