import Synchronization

/// Writes that arrive together are written together: the first caller writes its item at once; items that arrive
/// while a write is running wait and go in the next write, all in one statement. Each caller gets its own result.
///
/// Uploads finishing at the same moment each record a row; on SQLite every statement is a trip to the database
/// thread and a WAL append, so eight uploads in flight cost one statement instead of eight. No task is spawned:
/// the caller that finds no write running does the write, then hands that role to the first caller waiting.
public final class GroupCommit<Item: Sendable, Result: Sendable>: Sendable {
    private enum Turn {
        case done(Result)
        case write
    }

    private struct Waiter {
        let item: Item
        let continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var writing = false
        var waiting: [Waiter] = []
    }

    private let state = Mutex(State())
    private let largestGroup: Int
    /// Writes a group and returns one result per item, in order.
    private let write: @Sendable ([Item]) async throws -> [Result]

    public init(largestGroup: Int = 200, write: @escaping @Sendable ([Item]) async throws -> [Result]) {
        self.largestGroup = max(1, largestGroup)
        self.write = write
    }

    /// How many callers wait for the next write (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Writes `item`, alone or with others, and returns its result.
    public func submit(_ item: Item) async throws -> Result {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let writeNow = state.withLock { state -> Bool in
                guard state.writing else {
                    state.writing = true
                    return true
                }
                state.waiting.append(Waiter(item: item, continuation: continuation))
                return false
            }
            if writeNow { continuation.resume(returning: .write) }
        }
        switch turn {
        case .done(let result): return result
        case .write: return try await writeGroup(leading: item)
        }
    }

    /// Writes `item` with those waiting (up to `largestGroup`), answers them, and passes the role on.
    private func writeGroup(leading item: Item) async throws -> Result {
        let others = state.withLock { state in
            let taken = Array(state.waiting.prefix(largestGroup - 1))
            state.waiting.removeFirst(taken.count)
            return taken
        }
        let outcome: Swift.Result<[Result], any Error>
        do {
            let results = try await write([item] + others.map(\.item))
            guard results.count == others.count + 1 else {
                throw GroupCommitError(expected: others.count + 1, got: results.count)
            }
            outcome = .success(results)
        } catch {
            outcome = .failure(error)
        }
        for (index, waiter) in others.enumerated() {
            switch outcome {
            case .success(let results): waiter.continuation.resume(returning: .done(results[index + 1]))
            case .failure(let error): waiter.continuation.resume(throwing: error)
            }
        }
        let next = state.withLock { state -> Waiter? in
            guard !state.waiting.isEmpty else {
                state.writing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .write)
        return try outcome.get()[0]
    }
}

/// The write of a group returned a different number of results than it was given items.
public struct GroupCommitError: Error, CustomStringConvertible {
    public let expected: Int
    public let got: Int

    public var description: String { "a group write returned \(got) results for \(expected) items" }
}
