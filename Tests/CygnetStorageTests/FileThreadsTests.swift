import Glibc
import NIOPosix
import Synchronization
import Testing

@testable import CygnetStorage

@Suite struct FileThreadsTests {
    @Test func tasksAndTheirChildrenRunOnTheThreadsAndFileWorkRunsInPlace() async throws {
        let seen = try await FileThreads.run(threads: 3) { threads in
            async let child = threads.isCurrentThread
            let inPlace = try await FileWork(threads: threads, pool: .singleton).run { threads.isCurrentThread }
            let pooled = try await FileWork.pooled.run { threads.isCurrentThread }
            return [threads.isCurrentThread, await child, inPlace, pooled]
        }
        #expect(seen == [true, true, true, false])
    }

    @Test func workThatBlocksLeavesTheOtherThreadsRunning() async throws {
        // Four tasks that each wait until all four have arrived: only possible if a waiting thread hands the queue on
        // to the others (`willBlock`) and they really run side by side.
        final class Arrivals: Sendable { let count = Mutex(0) }
        let arrived = Arrivals()
        let count = 4
        let finished = try await FileThreads.run(threads: count) { threads in
            let work = FileWork(threads: threads, pool: .singleton)
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await work.run {
                            arrived.count.withLock { $0 += 1 }
                            for _ in 0..<2_000 {
                                if arrived.count.withLock({ $0 }) == count { return true }
                                usleep(1_000)
                            }
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        #expect(finished == Array(repeating: true, count: count))
    }

    @Test func errorsOfTheBodyComeBack() async throws {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await FileThreads.run(threads: 2) { _ in throw Refused() }
        }
    }
}
