import Foundation
public import ServiceLifecycle

/// Ends the service group when the process that started us is gone (its children are re-parented), so a
/// `kill -9` of `cygnet up` does not leave a service holding the front port. Linux's PR_SET_PDEATHSIG would do
/// this without polling, but `prctl` is variadic and cannot be called from Swift without a C shim.
public struct ParentWatch: Service {
    private let parent: pid_t
    private let interval: Duration

    public init(interval: Duration = .seconds(1)) {
        parent = getppid()
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            if getppid() != parent { throw ParentExited() }
        }
    }

    struct ParentExited: Error, CustomStringConvertible {
        var description: String { "the supervising process (cygnet up) has exited; stopping" }
    }
}
