import Dispatch
import Foundation
import Synchronization

/// Blocking work (downloads) spread over a few threads: GCD's global pool is sized for CPU work and would run
/// only as many downloads at once as there are cores.
enum ParallelWork {
    static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], width: Int, _ body: @escaping @Sendable (Input) throws -> Output
    ) throws -> [Output] {
        let results = Mutex<[Int: Result<Output, any Error>]>([:])
        let next = Atomic<Int>(0)
        let group = DispatchGroup()
        for _ in 0..<max(1, min(width, inputs.count)) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < inputs.count else { return }
                    let result = Result { try body(inputs[index]) }
                    results.withLock { $0[index] = result }
                }
            }
        }
        group.wait()
        return try results.withLock { results in try inputs.indices.map { try results[$0]!.get() } }
    }
}

/// Locks by key, so one object is fetched by one thread at a time while different objects go in parallel.
final class KeyedLocks: Sendable {
    private let stripes = (0..<256).map { _ in NSLock() }

    func withLock<T>(for key: String, _ body: () throws -> T) rethrows -> T {
        var hasher = Hasher()
        hasher.combine(key)
        let lock = stripes[Int(UInt(bitPattern: hasher.finalize()) % 256)]
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
