import Synchronization

/// A first-in, first-out mutual-exclusion lock for async code: waiters suspend (no thread blocks, nothing spins)
/// and are let in in the order they arrived. Used to give SQLite's single connection to one caller at a time.
///
/// Not reentrant: a holder that asks for the lock again waits forever, which is why `SQLStore` checks for nesting.
final class AsyncSerialLock: Sendable {
    private struct Waiter: Sendable {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var isLocked = false
        var lastWaiterID: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `body` while holding the lock. Throws `CancellationError` if the task is cancelled while waiting.
    func withLock<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        try await self.lock()
        defer { self.unlock() }
        return try await body()
    }

    func lock() async throws {
        let id = self.state.withLock { state in
            state.lastWaiterID &+= 1
            return state.lastWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Deciding and enqueueing under one lock, so an unlock can't slip in between and be missed.
                let immediate: Result<Void, any Error>? = self.state.withLock { state in
                    if !state.isLocked {
                        state.isLocked = true
                        return .success(())
                    }
                    // The cancellation flag is set before `onCancel` runs, so a waiter that sees it unset here
                    // is already queued when `onCancel` looks for it.
                    if Task.isCancelled {
                        return .failure(CancellationError())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many tasks are waiting for the lock; for tests.
    var waiterCount: Int {
        self.state.withLock { $0.waiters.count }
    }

    /// Hands the lock to the longest waiter, or frees it.
    func unlock() {
        let next = self.state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                precondition(state.isLocked, "AsyncSerialLock unlocked while not locked")
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}
