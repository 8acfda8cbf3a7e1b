import Testing

@testable import CygnetCLI

@Suite("Restart decisions of the supervisor")
struct RestartStateMachineTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        start.advanced(by: .milliseconds(Int(seconds * 1000)))
    }

    /// A machine whose child answered once, so the readiness deadline no longer applies.
    func readyMachine() -> RestartStateMachine {
        var machine = RestartStateMachine(now: start)
        machine.childStarted(at: start)
        #expect(machine.childBecameHealthy(at: at(1)) == .announceReady)
        return machine
    }

    @Test func backoffDoublesUpToThirtySeconds() {
        var machine = readyMachine()
        var time = 2.0
        var delays: [Duration] = []
        for _ in 0..<8 {
            guard case .restart(let delay) = machine.childExited(at: at(time)) else {
                Issue.record("expected a restart")
                return
            }
            delays.append(delay)
            time += Double(delay.components.seconds)
            machine.childStarted(at: at(time))
            time += 1
        }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30, 30].map { .seconds($0) })
    }

    @Test func backoffResetsAfterSixtySecondsOfHealthyRunning() {
        var machine = readyMachine()
        #expect(machine.childExited(at: at(2)) == .restart(after: .seconds(1)))
        machine.childStarted(at: at(3))
        #expect(machine.childExited(at: at(4)) == .restart(after: .seconds(2)))
        machine.childStarted(at: at(6))
        #expect(machine.childBecameHealthy(at: at(7)) == .announceRecovered)
        // Healthy for 59 s only: the backoff keeps growing.
        #expect(machine.childExited(at: at(66)) == .restart(after: .seconds(4)))
        machine.childStarted(at: at(70))
        #expect(machine.childBecameHealthy(at: at(71)) == .announceRecovered)
        #expect(machine.childExited(at: at(131)) == .restart(after: .seconds(1)))
        machine.childStarted(at: at(132))
        #expect(machine.childExited(at: at(133)) == .restart(after: .seconds(2)))
    }

    @Test func runningWithoutAnsweringDoesNotResetTheBackoff() {
        var machine = readyMachine()
        #expect(machine.childExited(at: at(2)) == .restart(after: .seconds(1)))
        machine.childStarted(at: at(3))
        #expect(machine.childExited(at: at(500)) == .restart(after: .seconds(2)))
    }

    @Test func announcesReadyOnceAndRecoveryAfterRestarts() {
        var machine = readyMachine()
        #expect(machine.childBecameHealthy(at: at(2)) == .none)
        _ = machine.childExited(at: at(3))
        machine.childStarted(at: at(4))
        #expect(machine.childBecameHealthy(at: at(5)) == .announceRecovered)
        #expect(machine.pendingReadinessDeadline == nil)
    }

    @Test func givesUpWhenTheFirstStartNeverAnswersInTime() {
        var machine = RestartStateMachine(now: start)
        #expect(machine.pendingReadinessDeadline == at(60))
        var time = 0.0
        var actions: [RestartStateMachine.ExitAction] = []
        while actions.last != .giveUp, actions.count < 10 {
            machine.childStarted(at: at(time))
            time += 0.5
            let action = machine.childExited(at: at(time))
            actions.append(action)
            if case .restart(let delay) = action { time += Double(delay.components.seconds) }
        }
        // 1 + 2 + 4 + 8 + 16 s of waiting plus the runs: the next 32 s would pass the 60 s deadline.
        #expect(actions == [1, 2, 4, 8, 16].map { .restart(after: .seconds($0)) } + [.giveUp])
    }

    @Test func exitsDuringShutdownAreExpected() {
        var machine = readyMachine()
        machine.shutdownRequested()
        #expect(machine.childExited(at: at(5)) == .stop)
        machine.childStarted(at: at(6))
        #expect(machine.state == .stopping)
    }

    @Test func readinessTimeoutGivesUp() {
        var machine = RestartStateMachine(now: start)
        machine.childStarted(at: start)
        #expect(machine.readinessTimedOut() == .giveUp)
        #expect(machine.state == .stopping)
    }
}
