import Foundation
import Glibc
import NIOCore
import NIOPosix

/// A task executor whose threads may block: the storage server's requests run on it, so a request does its file
/// work (opens, writes, `fdatasync`, the index row) where it already is, instead of handing each step to a thread
/// pool and waiting to be woken on the cooperative pool again. On these machines every such hand-over is a thread
/// switch, and a small upload made about ten of them.
///
/// Jobs run in arrival order. One that arrives from outside (the event loop: a request, a reply) wakes an idle thread;
/// one enqueued by our own threads waits for the thread that enqueued it (see `enqueue`). Blocking one thread leaves
/// the others running; there are as many as the file work should have in flight (uploads waiting for the disk), not
/// one per core.
public final class FileThreads: TaskExecutor, @unchecked Sendable {
    // A pthread mutex and condition rather than Synchronization.Mutex: idle threads must sleep until a job comes,
    // and one arriving job must wake one thread, not all of them.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs = CircularBuffer<UnownedJob>(initialCapacity: 64)
    private var idle = 0
    private var stopping = false
    private var running = 0
    private let stopped = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Set to a non-nil value on this executor's threads only.
    private let marker: pthread_key_t

    /// Runs `body` with its tasks (and every child task they start) on `count` threads of their own, then stops
    /// the threads once the jobs queued by then are done.
    public static func run<R: Sendable>(threads count: Int, _ body: @Sendable (FileThreads) async throws -> R)
        async throws -> R
    {
        let threads = FileThreads(threads: count)
        let result: Result<R, any Error>
        do {
            result = .success(try await withTaskExecutorPreference(threads) { try await body(threads) })
        } catch {
            result = .failure(error)
        }
        // Joined from elsewhere: right after the preference ends this task may still be on one of the threads.
        try await NIOThreadPool.singleton.runIfActive { threads.stop() }
        return try result.get()
    }

    private init(threads: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        pthread_cond_init(stopped, nil)
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        marker = key
        running = threads
        for number in 0..<threads {
            Thread { [self] in
                Thread.current.name = "storage-io-\(number)"
                self.work()
            }.start()
        }
    }

    deinit {
        pthread_key_delete(marker)
        pthread_cond_destroy(stopped)
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        stopped.deallocate()
        condition.deallocate()
        mutex.deallocate()
    }

    /// True on one of this executor's threads, where blocking calls are allowed.
    public var isCurrentThread: Bool { pthread_getspecific(marker) != nil }

    public func enqueue(_ job: consuming ExecutorJob) {
        // A job enqueued by one of our threads (an await resuming, an actor hop, followers of a group write) is
        // taken by that thread when its current job ends, which is usually at once: waking another thread for it
        // cost a switch each time, and more switches than the parallelism saved. `willBlock` hands the queue on
        // if the current job is about to wait for the disk instead; CPU work meant to run in parallel asks for the
        // global executor.
        let local = isCurrentThread
        pthread_mutex_lock(mutex)
        if stopping {
            // A task that outlived `run` (a late continuation): it still has to run somewhere.
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(UnownedJob(job))
        let wake = idle > 0 && !local
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// Called on one of our threads before blocking work: wakes a thread for jobs that would otherwise wait.
    public func willBlock() {
        pthread_mutex_lock(mutex)
        let wake = idle > 0 && !jobs.isEmpty
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// Lets the threads finish the jobs already queued and waits for them to end; not on one of them.
    private func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(condition)
        while running > 0 { pthread_cond_wait(stopped, mutex) }
        pthread_mutex_unlock(mutex)
    }

    private func work() {
        pthread_setspecific(marker, UnsafeRawPointer(bitPattern: 1))
        let executor = asUnownedTaskExecutor()
        pthread_mutex_lock(mutex)
        while true {
            if let job = jobs.popFirst() {
                pthread_mutex_unlock(mutex)
                job.runSynchronously(on: executor)
                pthread_mutex_lock(mutex)
                continue
            }
            if stopping { break }
            idle += 1
            pthread_cond_wait(condition, mutex)
            idle -= 1
        }
        running -= 1
        if running == 0 { pthread_cond_signal(stopped) }
        pthread_mutex_unlock(mutex)
    }
}
