import CLinux
import Crypto
import Glibc
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The MD5 of big uploads, worked out after the upload was answered. An upload hashes SHA-1 as it arrives (what
/// the desktop clients check); MD5 as well would halve the speed of a big upload on a two-core machine. Only rclone
/// uses MD5, when it compares files, so it is read back from the disk here, one file at a time, and added to the
/// file's record if the file has not changed meanwhile, on a thread of its own in the idle scheduling class, so it
/// never slows an upload or a listing down. A listing that asks for checksums waits (a few seconds at most) for the
/// files of its folder that are still being hashed.
final class DeferredChecksums: Service, Sendable {
    struct Job: Sendable {
        let owner: String
        let space: SpaceFileSystem
        let path: SpacePath
        let entry: FileEntry
    }

    private struct Key: Hashable {
        let owner: String
        let path: SpacePath
    }

    private struct Waiter {
        let id: UInt64
        let keys: Set<Key>
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var pending: [Key: Int] = [:]
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
    }

    private let index: FileIndex
    /// Where to find the files of MD5s a previous run left unfinished.
    private let spaces: SpaceDirectory
    /// One thread, in the idle scheduling class.
    private let pool = NIOThreadPool(numberOfThreads: 1)
    private let logger: Logger
    private let state = Mutex(State())
    private let jobs: AsyncStream<Job>
    private let queue: AsyncStream<Job>.Continuation

    /// How long a listing waits for hashing to finish before it answers with the checksums it has.
    static let longestWait = Duration.seconds(5)

    init(index: FileIndex, spaces: SpaceDirectory, logger: Logger) {
        self.index = index
        self.spaces = spaces
        self.logger = logger
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
    }

    /// Hashes `path` (as `entry` describes it) after the upload that wrote it was answered.
    func schedule(owner: String, space: SpaceFileSystem, path: SpacePath, entry: FileEntry) {
        enqueue(Job(owner: owner, space: space, path: path, entry: entry))
    }

    private func enqueue(_ job: Job) {
        state.withLock { $0.pending[Key(owner: job.owner, path: job.path), default: 0] += 1 }
        queue.yield(job)
    }

    /// Returns when no file at `path` or directly inside it is waiting to be hashed, or after `longestWait`.
    func settle(owner: String, around path: SpacePath) async {
        // Almost every listing a sync client makes asks for checksums, and almost never is anything pending.
        guard
            let id = state.withLock({ state -> UInt64? in
                guard !state.pending.isEmpty else { return nil }
                state.nextWaiter += 1
                return state.nextWaiter
            })
        else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitFor(owner: owner, around: path, id: id) }
            group.addTask { try? await Task.sleep(for: Self.longestWait) }
            await group.next()
            group.cancelAll()
            self.release { waiter, _ in waiter.id == id }
        }
    }

    private func waitFor(owner: String, around path: SpacePath, id: UInt64) async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                let keys = Set(
                    state.pending.keys.filter { $0.owner == owner && ($0.path == path || $0.path.parent == path) })
                guard !keys.isEmpty else { return true }
                state.waiters.append(Waiter(id: id, keys: keys, continuation: continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Resumes (once) the waiters `chosen` picks, given the files still pending.
    private func release(_ chosen: (Waiter, [Key: Int]) -> Bool) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            let pending = state.pending
            state.waiters.removeAll { waiter in
                guard chosen(waiter, pending) else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func releaseFinished() {
        release { waiter, pending in waiter.keys.allSatisfy { pending[$0] == nil } }
    }

    func run() async throws {
        pool.start()
        try await pool.runIfActive {
            var parameters = sched_param()
            sched_setscheduler(0, CYGNET_SCHED_IDLE, &parameters)
        }
        await resumeUnfinished()
        for await job in jobs.cancelOnGracefulShutdown() {
            await hash(job)
            state.withLock { state in
                let key = Key(owner: job.owner, path: job.path)
                if let count = state.pending[key], count > 1 {
                    state.pending[key] = count - 1
                } else {
                    state.pending[key] = nil
                }
            }
            releaseFinished()
        }
        queue.finish()
        release { _, _ in true }
        try await pool.shutdownGracefully()
    }

    /// Queues again the MD5s a previous run did not get to (it stopped first), for the files that are still as
    /// they were recorded; nothing else would ever fill them in.
    private func resumeUnfinished() async {
        do {
            let missing = try await index.missingMD5(limit: 100_000)
            guard !missing.isEmpty else { return }
            let jobs = try await pool.runIfActive { () -> [Job] in
                missing.compactMap { row -> Job? in
                    guard let space = self.spaces.existingSpace(of: row.space),
                        let path = try? SpacePath(plain: row.path),
                        let entry = try? space.entry(path), !entry.isDirectory, entry.size == row.size,
                        entry.modified == row.modified
                    else { return nil }
                    return Job(owner: row.space, space: space, path: path, entry: entry)
                }
            }
            guard !jobs.isEmpty else { return }
            logger.info("Working out the MD5s a previous run left unfinished", metadata: ["files": "\(jobs.count)"])
            jobs.forEach(enqueue)
        } catch {
            logger.warning("Could not look for MD5s left unfinished", metadata: ["error": "\(error)"])
        }
    }

    private func hash(_ job: Job) async {
        do {
            let md5 = try await pool.runIfActive { try Self.md5(of: job) }
            guard let md5 else { return }
            try await index.addMD5(space: job.owner, path: job.path, md5: md5, for: job.entry)
        } catch {
            logger.warning(
                "Could not work out a file's MD5 after its upload",
                metadata: ["user": "\(job.owner)", "path": "\(job.path)", "error": "\(error)"])
        }
    }

    /// The MD5 of the file, or nil when it is no longer the file that was uploaded.
    static func md5(of job: Job) throws(StorageError) -> String? {
        let file: FileDescriptor
        do {
            file = try job.space.open(job.path, flags: O_RDONLY | O_NOFOLLOW, action: "hashing \(job.path)")
        } catch  where error.code == .notFound {
            return nil
        }
        let before = try file.status()
        guard before.inode == job.entry.inode, before.size == job.entry.size, before.modified == job.entry.modified
        else { return nil }
        var hasher = Insecure.MD5()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
        defer { block.deallocate() }
        while true {
            let count = read(file.raw, block.baseAddress, block.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemErrors.mapped(errno, "hashing \(job.path)")
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[..<count]))
        }
        let after = try file.status()
        guard after.size == before.size, after.modified == before.modified else { return nil }
        return hasher.finalize().hexadecimal
    }
}
