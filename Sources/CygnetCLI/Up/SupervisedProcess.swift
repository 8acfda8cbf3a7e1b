/// What `ProcessSupervisor` runs: one service binary, how to call it, and how to tell that it works.
struct SupervisedProcess: Sendable {
    /// The name used in messages, e.g. `cygnet-auth`.
    var name: String
    var executable: String
    var arguments: [String]
    /// Variables set for the child on top of our own environment.
    var environment: [String: String] = [:]
    /// Put before every line the child writes, e.g. `[auth] `.
    var outputPrefix: String
    /// Answers true once the child serves requests (its `/healthz` answered 200).
    var isHealthy: @Sendable () async -> Bool
    var healthCheckInterval: Duration = .milliseconds(250)
    /// How long the child gets to exit after SIGTERM before it is killed.
    var stopGracePeriod: Duration = .seconds(10)
    /// How often to report that the first start is still being waited for.
    var progressInterval: Duration = .seconds(10)
}

/// What happened to the supervised child, for the person watching `cygnet up` and for tests.
enum SupervisorEvent: Sendable, Equatable {
    case started(processID: Int32)
    /// Still waiting for the first healthy answer, this long after `cygnet up` started the child.
    case stillWaiting(elapsed: Duration)
    case ready
    case recovered
    case exited(reason: String)
    case restarting(after: Duration)
}
