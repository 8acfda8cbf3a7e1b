import Foundation
import Logging
import ServiceLifecycle
import Subprocess
import SystemPackage

/// Keeps one service binary running for `cygnet up`: starts it, passes its output through with a prefix, waits
/// for its health check, starts it again with backoff when it stops, and stops it on shutdown (SIGTERM, then
/// SIGKILL after the grace period) — the child never outlives the supervisor's task.
struct ProcessSupervisor: Service {
    let process: SupervisedProcess
    let policy: RestartStateMachine.Policy
    let console: Console
    let logger: Logger
    let onEvent: @Sendable (SupervisorEvent) -> Void

    /// Runs until a graceful shutdown (SIGINT/SIGTERM through the `ServiceGroup`); throws if the child never
    /// became ready before the readiness deadline.
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await supervise() }
    }

    /// The supervision loop; returns when the task is cancelled, after the child has exited.
    func supervise() async throws {
        var machine = RestartStateMachine(policy: policy, now: .now)
        while true {
            let exit: ChildExit
            do {
                exit = try await runOnce(&machine)
            } catch let error as ReadinessTimeout {
                throw error
            } catch {
                if Task.isCancelled { return }
                exit = ChildExit(reason: "could not be started: \(error)")
            }
            if Task.isCancelled {
                machine.shutdownRequested()
                if exit.killed {
                    logger.warning(
                        "\(process.name) did not stop within \(Self.seconds(process.stopGracePeriod)) and was killed")
                }
            }
            switch machine.childExited(at: .now) {
            case .stop:
                return
            case .restart(let delay):
                onEvent(.exited(reason: exit.reason))
                onEvent(.restarting(after: delay))
                guard await waitToRestart(after: delay, exit: exit) else { return }
            case .giveUp:
                onEvent(.exited(reason: exit.reason))
                throw ReadinessTimeout(process: process, deadline: policy.readinessDeadline, lastExit: exit.reason)
            }
        }
    }

    /// Waits out the backoff and says why the child is started again. A child killed by SIGINT, SIGTERM or SIGHUP
    /// most likely got the signal with our whole process group (Ctrl-C, a closed terminal), and our own shutdown is
    /// on its way: then the message waits for the delay, so a normal shutdown does not report a false alarm.
    /// Returns false if the wait was cancelled (the appliance is shutting down).
    private func waitToRestart(after delay: Duration, exit: ChildExit) async -> Bool {
        let stopped = "\(process.name) stopped unexpectedly (\(exit.reason))"
        if !exit.byGroupSignal { logger.warning("\(stopped); starting it again in \(Self.seconds(delay))") }
        do { try await Task.sleep(for: delay) } catch { return false }
        if exit.byGroupSignal { logger.warning("\(stopped) \(Self.seconds(delay)) ago; starting it again") }
        return true
    }

    /// Why the child stopped, in words for the log.
    struct ChildExit {
        var reason: String
        var byGroupSignal = false
        var killed = false
    }

    /// Runs the child once, until it exits; returns why it exited.
    private func runOnce(_ machine: inout RestartStateMachine) async throws -> ChildExit {
        var options = PlatformOptions()
        // The child stays in our process group, so whatever stops the whole group (closing the terminal, a
        // supervisor's kill of the group) also stops it, even if `cygnet up` dies without cleaning up.
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: process.stopGracePeriod)]
        let environment = Environment.inherit.updating(
            Dictionary(
                uniqueKeysWithValues: process.environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
        let result = try await Subprocess.run(
            .path(FilePath(process.executable)), arguments: Arguments(process.arguments), environment: environment,
            platformOptions: options, input: .none, output: .sequence, error: .sequence
        ) { execution in
            machine.childStarted(at: .now)
            logger.info("Started \(process.name)", metadata: ["pid": "\(execution.processIdentifier.value)"])
            onEvent(.started(processID: execution.processIdentifier.value))
            try await watch(execution, machine: &machine)
        }
        let groupSignals = [SIGINT, SIGTERM, SIGHUP]
        if case .signaled(let signal) = result.terminationStatus, groupSignals.contains(signal) {
            return ChildExit(reason: Self.describe(result.terminationStatus), byGroupSignal: true)
        }
        // Our services exit 0 only after a graceful shutdown, that is after such a signal (Ctrl-C reaches the
        // whole process group): the same reasoning applies.
        if result.terminationStatus == .exited(0) {
            return ChildExit(reason: Self.describe(result.terminationStatus), byGroupSignal: true)
        }
        let killed = result.terminationStatus == .signaled(SIGKILL)
        return ChildExit(reason: Self.describe(result.terminationStatus), killed: killed)
    }

    private enum WatchEvent: Sendable {
        case streamEnded
        case healthy(ContinuousClock.Instant)
        case readinessTimedOut
    }

    /// Passes output through and checks health until the child closes its output (it exited).
    private func watch(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>, machine: inout RestartStateMachine
    ) async throws {
        let readinessDeadline = machine.pendingReadinessDeadline
        let (prefix, grace) = (process.outputPrefix, process.stopGracePeriod)
        try await withThrowingTaskGroup(of: WatchEvent.self) { group in
            group.addTask { [console] in
                try await ChildOutput.passThrough(execution.standardOutput.strings(), grace: grace) {
                    console.print(prefix + $0)
                }
                return .streamEnded
            }
            group.addTask { [console] in
                try await ChildOutput.passThrough(execution.standardError.strings(), grace: grace) {
                    console.printError(prefix + $0)
                }
                return .streamEnded
            }
            group.addTask { try await waitUntilHealthy(deadline: readinessDeadline) }
            var openStreams = 2
            while openStreams > 0, let event = try await group.next() {
                switch event {
                case .streamEnded:
                    openStreams -= 1
                case .healthy(let instant):
                    report(machine.childBecameHealthy(at: instant))
                case .readinessTimedOut:
                    _ = machine.readinessTimedOut()
                    // Stopped here, not after the throw: its output stays open (and read) until it exits.
                    await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: grace)])
                    throw ReadinessTimeout(process: process, deadline: policy.readinessDeadline, lastExit: nil)
                }
            }
            group.cancelAll()
        }
    }

    private func waitUntilHealthy(deadline: ContinuousClock.Instant?) async throws -> WatchEvent {
        let started = ContinuousClock.now
        var nextProgress = started.advanced(by: process.progressInterval)
        while true {
            if await process.isHealthy() { return .healthy(.now) }
            let now = ContinuousClock.now
            if let deadline {
                if now >= deadline { return .readinessTimedOut }
                if now >= nextProgress {
                    onEvent(
                        .stillWaiting(
                            elapsed: deadline.advanced(by: .zero - policy.readinessDeadline).duration(to: now)))
                    nextProgress = nextProgress.advanced(by: process.progressInterval)
                }
            }
            try await Task.sleep(for: process.healthCheckInterval)
        }
    }

    private func report(_ action: RestartStateMachine.HealthAction) {
        switch action {
        case .announceReady: onEvent(.ready)
        case .announceRecovered:
            logger.info("\(process.name) is answering again")
            onEvent(.recovered)
        case .none: break
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code): return "it exited with status \(code)"
        case .signaled(let signal): return "it was stopped by signal \(signal)\(signal == SIGKILL ? " (killed)" : "")"
        }
    }
}

/// The child never answered its health check in time; `cygnet up` stops and says where to look.
struct ReadinessTimeout: Error, CustomStringConvertible {
    var process: SupervisedProcess
    var deadline: Duration
    var lastExit: String?

    var description: String {
        let seconds = deadline.components.seconds
        let exit = lastExit.map { " (the last time, \($0))" } ?? ""
        let prefix = process.outputPrefix.trimmingCharacters(in: .whitespaces)
        return "\(process.name) did not start answering within \(seconds) seconds\(exit); "
            + "the lines starting with \(prefix) above say why."
    }
}
