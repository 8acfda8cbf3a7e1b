import Testing

@testable import CygnetRuntime

@Suite("AsyncSerialLock")
struct AsyncSerialLockTests {
    /// Waits, without sleeping, until `condition` holds; fails after a deadline.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                throw CancellationError()
            }
            await Task.yield()
        }
    }

    @Test("waiters are let in in arrival order")
    func fifo() async throws {
        let lock = AsyncSerialLock()
        let order = Arrivals()
        try await lock.lock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                group.addTask {
                    try await lock.withLock { await order.record(index) }
                }
                try await Self.waitUntil { lock.waiterCount == index + 1 }
            }
            lock.unlock()
            try await group.waitForAll()
        }
        #expect(await order.indices == Array(0..<10))
    }

    @Test("a cancelled waiter leaves the queue and the lock keeps working")
    func cancellation() async throws {
        let lock = AsyncSerialLock()
        try await lock.lock()
        let waiter = Task {
            try await lock.withLock {}
        }
        try await Self.waitUntil { lock.waiterCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(lock.waiterCount == 0)
        lock.unlock()
        try await lock.withLock {}
    }

    @Test("a task cancelled before it waits is refused at once")
    func cancelledBeforeWaiting() async throws {
        let lock = AsyncSerialLock()
        try await lock.lock()
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await lock.withLock {}
        }
        await #expect(throws: CancellationError.self) { try await waiter.value }
        lock.unlock()
    }
}

/// Records the order in which tasks got the lock.
private actor Arrivals {
    var indices: [Int] = []

    func record(_ index: Int) {
        self.indices.append(index)
    }
}
