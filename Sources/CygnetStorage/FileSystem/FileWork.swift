import NIOPosix

/// Where blocking file work runs: in place when the caller is on one of the storage server's `FileThreads` (every
/// request is), otherwise on a NIO thread pool, off the event loops and the cooperative pool.
struct FileWork: Sendable {
    let threads: FileThreads?
    let pool: NIOThreadPool

    /// For callers that have no `FileThreads` (tests, the CLI): always the shared NIO pool.
    static let pooled = FileWork(threads: nil, pool: .singleton)

    func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        if let threads, threads.isCurrentThread {
            threads.willBlock()
            return try work()
        }
        return try await pool.runIfActive(work)
    }
}
