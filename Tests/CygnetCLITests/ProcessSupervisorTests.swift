import Foundation
import Logging
import Testing

@testable import CygnetCLI

/// Drives the supervisor with `/bin/sh` stand-ins for cygnet-auth: real processes, signals and pipes, fake health.
@Suite("Supervising a child process", .timeLimit(.minutes(1)))
struct ProcessSupervisorTests {
    struct Harness {
        let console = RecordingConsole()
        let events: AsyncStream<SupervisorEvent>
        let supervisor: ProcessSupervisor

        /// `healthy` sees what the child wrote so far: a stand-in is "healthy" once it printed its lines, which
        /// also makes sure it ran that far before a test stops it.
        init(
            script: String, healthy: @escaping @Sendable (RecordingConsole) async -> Bool,
            policy: RestartStateMachine.Policy = .init(), stopGracePeriod: Duration = .seconds(10)
        ) {
            let (events, continuation) = AsyncStream.makeStream(of: SupervisorEvent.self)
            self.events = events
            let console = console
            let process = SupervisedProcess(
                name: "stand-in", executable: "/bin/sh", arguments: ["-c", script],
                environment: ["STAND_IN_GREETING": "hello"], outputPrefix: "[test] ",
                isHealthy: { await healthy(console) },
                healthCheckInterval: .milliseconds(10), stopGracePeriod: stopGracePeriod,
                progressInterval: .milliseconds(50))
            supervisor = ProcessSupervisor(
                process: process, policy: policy, console: console.console, logger: Logger(label: "test"),
                onEvent: { continuation.yield($0) })
        }
    }

    /// Reads events until `predicate` accepts one (the suite's time limit ends a test whose event never comes).
    static func waitFor(
        _ events: inout AsyncStream<SupervisorEvent>.Iterator, seen: inout [SupervisorEvent],
        _ predicate: (SupervisorEvent) -> Bool
    ) async {
        while let event = await events.next() {
            seen.append(event)
            if predicate(event) { return }
        }
        Issue.record("the events ended before the expected one; saw \(seen)")
    }

    static func isRunning(_ processID: Int32) -> Bool {
        kill(processID, 0) == 0
    }

    @Test func passesOutputThroughAndStopsTheChildOnCancellation() async throws {
        let harness = Harness(
            script: "echo \"$STAND_IN_GREETING\"; echo oops >&2; exec sleep 60",
            healthy: { $0.output.contains("hello") && $0.errors.contains("oops") })
        let task = Task { try await harness.supervisor.supervise() }
        var seen: [SupervisorEvent] = []
        var events = harness.events.makeAsyncIterator()
        await Self.waitFor(&events, seen: &seen) { $0 == .ready }
        guard case .started(let processID) = seen.first else {
            Issue.record("first event was \(String(describing: seen.first))")
            return
        }
        #expect(Self.isRunning(processID))
        task.cancel()
        try await task.value
        #expect(!Self.isRunning(processID))
        #expect(harness.console.outputLines == ["[test] hello"])
        #expect(harness.console.errorLines == ["[test] oops"])
    }

    @Test func keepsPassingOutputThroughWhileTheChildStops() async throws {
        // What a service logs while it shuts down (a failed flush, a lock it could not release) is often what the
        // person at the terminal needs; the supervisor reads until the child closes its output.
        let harness = Harness(
            script: "trap 'echo stopping cleanly; echo last words >&2; exit 0' TERM; echo up; "
                + "while true; do sleep 0.05; done",
            healthy: { $0.output.contains("up") })
        let task = Task { try await harness.supervisor.supervise() }
        var seen: [SupervisorEvent] = []
        var events = harness.events.makeAsyncIterator()
        await Self.waitFor(&events, seen: &seen) { $0 == .ready }
        task.cancel()
        try await task.value
        #expect(harness.console.outputLines == ["[test] up", "[test] stopping cleanly"])
        #expect(harness.console.errorLines == ["[test] last words"])
    }

    @Test func restartsAStoppedChildWithGrowingDelays() async throws {
        let policy = RestartStateMachine.Policy(
            initialDelay: .milliseconds(10), maximumDelay: .milliseconds(40), stableAfter: .seconds(60),
            readinessDeadline: .seconds(60))
        let harness = Harness(script: "echo started; exit 3", healthy: { _ in false }, policy: policy)
        let task = Task { try await harness.supervisor.supervise() }
        var seen: [SupervisorEvent] = []
        var events = harness.events.makeAsyncIterator()
        var restarts: [Duration] = []
        while restarts.count < 4 {
            await Self.waitFor(&events, seen: &seen) {
                if case .restarting = $0 { return true } else { return false }
            }
            if case .restarting(let delay) = seen.last { restarts.append(delay) } else { break }
        }
        task.cancel()
        try await task.value
        #expect(restarts == [10, 20, 40, 40].map { .milliseconds($0) })
        #expect(seen.contains(.exited(reason: "it exited with status 3")))
        #expect(harness.console.outputLines.allSatisfy { $0 == "[test] started" })
    }

    @Test func givesUpWhenTheChildNeverAnswers() async throws {
        // Long against the 50 ms progress interval, so a loaded machine that is slow to start the child still
        // reports "still waiting" before the deadline passes.
        let policy = RestartStateMachine.Policy(readinessDeadline: .seconds(2))
        let harness = Harness(script: "exec sleep 60", healthy: { _ in false }, policy: policy)
        let events = Task {
            var all: [SupervisorEvent] = []
            for await event in harness.events { all.append(event) }
            return all
        }
        let error = await #expect(throws: ReadinessTimeout.self) { try await harness.supervisor.supervise() }
        #expect(error?.description.hasPrefix("stand-in did not start answering within 2 seconds") == true)
        #expect(error?.description.hasSuffix("the lines starting with [test] above say why.") == true)
        events.cancel()
        let seen = await events.value
        if case .started(let processID) = seen.first { #expect(!Self.isRunning(processID)) }
        #expect(seen.contains { if case .stillWaiting = $0 { true } else { false } })
    }

    @Test func killsAChildThatIgnoresSIGTERMAfterTheGracePeriod() async throws {
        let harness = Harness(
            script: "trap '' TERM; echo waiting; while :; do sleep 0.05; done",
            healthy: { $0.output.contains("waiting") },
            stopGracePeriod: .milliseconds(200))
        let task = Task { try await harness.supervisor.supervise() }
        var seen: [SupervisorEvent] = []
        var events = harness.events.makeAsyncIterator()
        await Self.waitFor(&events, seen: &seen) { $0 == .ready }
        guard case .started(let processID) = seen.first else {
            Issue.record("first event was \(String(describing: seen.first))")
            return
        }
        let cancelled = ContinuousClock.now
        task.cancel()
        try await task.value
        #expect(!Self.isRunning(processID))
        #expect(cancelled.duration(to: .now) >= .milliseconds(200))
    }
}
