import NIOPosix

/// File-system work off the event loops and the cooperative pool, on NIO's blocking thread pool.
enum NIOThreadPoolWork {
    static func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
