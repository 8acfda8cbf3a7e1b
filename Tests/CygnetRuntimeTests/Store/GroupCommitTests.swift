import Synchronization
import Testing

@testable import CygnetRuntime

@Suite("Group commit") struct GroupCommitTests {
    /// Groups as written, and a gate that holds the first write until the test opens it.
    final class Recorder: Sendable {
        let groups = Mutex<[[Int]]>([])
        let gate: AsyncStream<Void>
        let opener: AsyncStream<Void>.Continuation

        init() {
            (gate, opener) = AsyncStream.makeStream(of: Void.self)
        }

        func write(_ items: [Int]) async throws -> [Int] {
            let first = groups.withLock { groups in
                groups.append(items)
                return groups.count == 1
            }
            if first {
                for await _ in gate { break }
            }
            if items.contains(-1) { throw Failure() }
            return items.map { $0 * 10 }
        }
    }

    struct Failure: Error {}

    static func outcome(_ commit: GroupCommit<Int, Int>, _ item: Int) async -> Result<Int, any Error> {
        do {
            return .success(try await commit.submit(item))
        } catch {
            return .failure(error)
        }
    }

    /// Starts `first`, waits until `others` are all queued behind it, then opens the gate.
    static func run(first: Int, others: [Int], recorder: Recorder, commit: GroupCommit<Int, Int>) async
        -> [Int: Result<Int, any Error>]
    {
        await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            group.addTask { (first, await Self.outcome(commit, first)) }
            while recorder.groups.withLock({ $0.count }) == 0 { await Task.yield() }
            for item in others {
                group.addTask { (item, await Self.outcome(commit, item)) }
            }
            while commit.waitingCount < others.count { await Task.yield() }
            recorder.opener.yield()
            var results: [Int: Result<Int, any Error>] = [:]
            for await (item, result) in group { results[item] = result }
            return results
        }
    }

    @Test("callers that arrive during a write go together in the next one, each with its own result")
    func callersArrivingDuringAWriteShareTheNext() async throws {
        let recorder = Recorder()
        let commit = GroupCommit<Int, Int> { try await recorder.write($0) }
        let results = await Self.run(first: 1, others: Array(2...21), recorder: recorder, commit: commit)
        for item in 1...21 {
            #expect(try results[item]?.get() == item * 10)
        }
        let groups = recorder.groups.withLock { $0 }
        #expect(groups.count == 2)
        #expect(groups.first == [1])
        #expect(Set(groups.last ?? []) == Set(2...21))
    }

    @Test("a failed write fails its whole group, and the next group is written")
    func aFailedWriteFailsOnlyItsGroup() async throws {
        let recorder = Recorder()
        let commit = GroupCommit<Int, Int>(largestGroup: 3) { try await recorder.write($0) }
        let results = await Self.run(first: -1, others: [2, 3, 4, 5, 6], recorder: recorder, commit: commit)
        #expect(throws: Failure.self) { try results[-1]?.get() }
        for item in 2...6 {
            #expect(try results[item]?.get() == item * 10)
        }
        let groups = recorder.groups.withLock { $0 }
        #expect(groups.map(\.count) == [1, 3, 2])
    }
}
