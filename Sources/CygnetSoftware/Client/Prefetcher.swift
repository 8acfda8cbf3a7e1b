import Dispatch
import Foundation
import Synchronization

/// Fetches ahead, several objects at once, in the background:
/// - a prefetch bundle: the first time a file below a catalog root is opened, every file listed in that root's
///   `.cygnet-prefetch` (what `stack build` recorded a stack's usual imports to read) is fetched;
/// - the first time a file in a directory is opened, the other small files of that directory.
/// A Python import opens a package's modules one after the other; by the time it asks for the next one, it is
/// usually in the cache.
final class Prefetcher: Sendable {
    /// The bundle file's name in a catalog root: one path per line, relative to the root.
    static let bundleName = ".cygnet-prefetch"

    private enum Job: Sendable {
        case bundle([UInt8], RepositoryRevision)
        case directory([UInt8], RepositoryRevision)
        case object(ContentHash, compressed: Bool, size: Int64)
        case chunked([FileChunk], compressed: Bool)
    }

    private struct State {
        var jobs: [Job] = []
        var directoriesSeen: Set<DirectoryKey> = []
        var bundlesSeen: Set<DirectoryKey> = []
    }

    private struct DirectoryKey: Hashable {
        var generation: UInt64
        var path: [UInt8]
    }

    /// Larger files are fetched when opened: prefetching them would cost more than it saves when unused.
    static let sizeLimit: Int64 = 8 << 20

    private let client: RepositoryClient
    private let state = Mutex(State())
    private let pending = DispatchSemaphore(value: 0)

    init(client: RepositoryClient, workers: Int = 4) {
        self.client = client
        for _ in 0..<workers {
            Thread.detachNewThread { [self] in
                while true { work() }
            }
        }
    }

    /// Called when a file below `directory` is opened.
    func opened(in directory: [UInt8], revision: RepositoryRevision) {
        let catalogRoot = (try? revision.catalogRoot(of: directory)) ?? []
        let (firstInDirectory, firstInCatalog) = state.withLock { state in
            (
                state.directoriesSeen.insert(DirectoryKey(generation: revision.generation, path: directory)).inserted,
                state.bundlesSeen.insert(DirectoryKey(generation: revision.generation, path: catalogRoot)).inserted
            )
        }
        if firstInCatalog { enqueue([.bundle(catalogRoot, revision)], first: true) }
        // A catalog with a bundle says what will be read; guessing by directory on top only costs CPU then.
        if firstInDirectory && !hasBundle(catalogRoot, revision) { enqueue([.directory(directory, revision)]) }
    }

    private func enqueue(_ jobs: [Job], first: Bool = false) {
        guard !jobs.isEmpty else { return }
        state.withLock { state in
            if first { state.jobs.insert(contentsOf: jobs, at: 0) } else { state.jobs.append(contentsOf: jobs) }
        }
        for _ in jobs { pending.signal() }
    }

    private func work() {
        pending.wait()
        guard let job = state.withLock({ $0.jobs.isEmpty ? nil : $0.jobs.removeFirst() }) else { return }
        switch job {
        case .bundle(let root, let revision):
            enqueue(bundleJobs(root: root, revision: revision), first: true)
        case .directory(let path, let revision):
            let children = (try? revision.children(path)) ?? []
            enqueue(
                children.compactMap { entry in
                    guard let hash = entry.hash, !entry.isDirectory, !entry.isSymlink, !entry.isChunked,
                        entry.size <= Self.sizeLimit,
                        !client.cache.contains(RepositoryClient.key(hash, .file))
                    else { return nil }
                    return .object(hash, compressed: entry.flags.isCompressed, size: entry.size)
                })
        case .object(let hash, let compressed, let size):
            // Failures do not matter here: the reader that needs the file fetches it and reports the error.
            if let descriptor = try? client.object(hash, .file, compressed: compressed, size: size, counted: false) {
                close(descriptor)
            }
        case .chunked(let chunks, let compressed):
            if let descriptor = try? client.assembledFile(chunks, compressed: compressed, counted: false) {
                close(descriptor)
            }
        }
    }

    private func hasBundle(_ root: [UInt8], _ revision: RepositoryRevision) -> Bool {
        (try? revision.entry(RepositoryPath.join(root, Array(Self.bundleName.utf8)))) != nil
    }

    /// The files a catalog root's bundle lists, as fetch jobs (those already cached are left out).
    private func bundleJobs(root: [UInt8], revision: RepositoryRevision) -> [Job] {
        let bundlePath = RepositoryPath.join(root, Array(Self.bundleName.utf8))
        guard let entry = try? revision.entry(bundlePath), let hash = entry.hash,
            let descriptor = try? client.object(hash, .file, compressed: entry.flags.isCompressed, counted: false),
            let bytes = try? AtomicFile.read("/proc/self/fd/\(descriptor)")
        else { return [] }
        close(descriptor)
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let path = RepositoryPath.join(root, Array(line))
            guard let entry = try? revision.entry(path), !entry.isDirectory, !entry.isSymlink else { return nil }
            if entry.isChunked {
                guard let chunks = try? revision.chunks(path, algorithm: entry.flags.algorithm) else { return nil }
                return .chunked(chunks, compressed: entry.flags.isCompressed)
            }
            guard let hash = entry.hash, !client.cache.contains(RepositoryClient.key(hash, .file)) else { return nil }
            return .object(hash, compressed: entry.flags.isCompressed, size: entry.size)
        }
    }
}
