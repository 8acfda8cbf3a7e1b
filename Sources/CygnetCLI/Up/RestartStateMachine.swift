/// Decides what happens when a supervised child process stops: start it again after an exponential backoff
/// (1 s, 2 s, 4 s … at most 30 s, back to 1 s once a run stayed healthy for 60 s), give up when it never became
/// ready before the readiness deadline, or stop when the appliance is shutting down.
///
/// A plain value: the supervisor feeds it events with the time they happened and performs the returned actions,
/// so the decisions are tested without processes or clocks.
struct RestartStateMachine {
    struct Policy: Sendable, Equatable {
        var initialDelay: Duration = .seconds(1)
        var maximumDelay: Duration = .seconds(30)
        /// How long a run must stay healthy for the next failure to count as a new problem (backoff resets).
        var stableAfter: Duration = .seconds(60)
        /// How long the first start may take to answer its health check before `cygnet up` gives up.
        var readinessDeadline: Duration = .seconds(60)
    }

    enum State: Equatable {
        case starting
        case running(startedAt: ContinuousClock.Instant, healthySince: ContinuousClock.Instant?)
        case waitingToRestart
        case stopping
    }

    enum ExitAction: Equatable {
        /// Start the child again after this delay.
        case restart(after: Duration)
        /// The child never answered before the readiness deadline; stop trying.
        case giveUp
        /// The appliance is shutting down; the exit was expected.
        case stop
    }

    enum HealthAction: Equatable {
        /// The first healthy answer since `cygnet up` started: tell the person the appliance is ready.
        case announceReady
        /// Healthy again after a restart.
        case announceRecovered
        /// Already known to be healthy.
        case none
    }

    let policy: Policy
    let readyDeadline: ContinuousClock.Instant
    private(set) var state: State = .starting
    private(set) var nextDelay: Duration
    private(set) var hasBeenReady = false

    init(policy: Policy = Policy(), now: ContinuousClock.Instant) {
        self.policy = policy
        self.readyDeadline = now.advanced(by: policy.readinessDeadline)
        self.nextDelay = policy.initialDelay
    }

    /// Until the first healthy answer, the time by which it must come.
    var pendingReadinessDeadline: ContinuousClock.Instant? {
        hasBeenReady ? nil : readyDeadline
    }

    mutating func childStarted(at now: ContinuousClock.Instant) {
        guard state != .stopping else { return }
        state = .running(startedAt: now, healthySince: nil)
    }

    mutating func childBecameHealthy(at now: ContinuousClock.Instant) -> HealthAction {
        guard case .running(let startedAt, let healthySince) = state, healthySince == nil else { return .none }
        state = .running(startedAt: startedAt, healthySince: now)
        if hasBeenReady { return .announceRecovered }
        hasBeenReady = true
        return .announceReady
    }

    mutating func childExited(at now: ContinuousClock.Instant) -> ExitAction {
        if state == .stopping { return .stop }
        if case .running(_, let healthySince?) = state, healthySince.duration(to: now) >= policy.stableAfter {
            nextDelay = policy.initialDelay
        }
        let delay = nextDelay
        if !hasBeenReady, now.advanced(by: delay) >= readyDeadline {
            state = .stopping
            return .giveUp
        }
        nextDelay = min(delay * 2, policy.maximumDelay)
        state = .waitingToRestart
        return .restart(after: delay)
    }

    /// The first health check did not answer by the deadline while the child was still running.
    mutating func readinessTimedOut() -> ExitAction {
        state = .stopping
        return .giveUp
    }

    mutating func shutdownRequested() {
        state = .stopping
    }
}
