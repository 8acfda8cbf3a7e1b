import Glibc

/// A detached POSIX thread of its own, for work that blocks for long: FUSE's request loop runs for the life
/// of the mount and its callbacks block, which must not happen on the Swift cooperative pool.
enum DedicatedThread {
    private final class Work {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }

    /// Starts `body` on a new thread; returns the errno if the thread could not be created.
    static func start(_ body: @escaping @Sendable () -> Void) -> Int32? {
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { work in
                let work = Unmanaged<Work>.fromOpaque(work!).takeRetainedValue()
                work.body()
                return nil
            }, work)
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            return result
        }
        pthread_detach(thread)
        return nil
    }
}
