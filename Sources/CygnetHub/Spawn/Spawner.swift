/// What a spawner needs to start one session server.
public struct SpawnRequest: Sendable {
    public var userName: String
    public var serverName: String
    public var options: SessionOptions
    public var stack: HubSettings.Stack
    /// The JupyterHub single-user environment (contract §2), without the bind address, which the spawner adds
    /// as `JUPYTERHUB_SERVICE_URL` once it knows where the server will listen.
    public var environment: [String: String]
    /// The service prefix, e.g. `/user/alice/`.
    public var prefix: String
}

/// Where a spawner keeps what it needs to find a session again, also after a hub restart. Stored as JSON.
public struct SpawnerState: Sendable, Equatable, Codable {
    public var kind: String
    public var host: String
    public var port: Int
    public var processID: Int32?
    /// The process's start time (clock ticks since boot), so a recycled process id is not mistaken for it.
    public var processStartTime: UInt64?
    public var unixAccount: String?
    public var controlGroup: String?
    public var logFile: String?

    public var url: String { "http://\(host):\(port)" }
}

public enum SpawnerStatus: Sendable, Equatable {
    case running
    case exited(String)
}

/// CPU and memory a session uses now, when the spawner can tell.
public struct ResourceUsage: Sendable, Equatable {
    public var memoryBytes: UInt64?
    public var cpuSeconds: Double?
}

/// Something the user should read, from a spawn step (a startup script's output, a reason it failed).
public struct SpawnFailure: Error, Sendable {
    public var message: String
    public var output: [String]

    public init(_ message: String, output: [String] = []) {
        self.message = message
        self.output = output
    }
}

/// Starts and stops session servers. The local-process spawner is the embedded default; container and Kubernetes
/// spawners implement the same interface.
public protocol Spawner: Sendable {
    /// A sentence for the admin page: how sessions run and which limits are enforced.
    var description: String { get }

    /// Gets ready to start sessions quickly (called once when the hub starts).
    func prepare() async

    /// Starts the server and returns as soon as the process runs (readiness is checked by the hub).
    /// `progress` receives lines to show the user while it starts.
    func start(_ request: SpawnRequest, progress: @Sendable (String) async -> Void) async throws -> SpawnerState

    func poll(_ state: SpawnerState) async -> SpawnerStatus

    /// Stops the server and everything it started; safe to call for a server that has already gone.
    func stop(_ state: SpawnerState) async

    func usage(_ state: SpawnerState) async -> ResourceUsage?

    /// The last lines the server printed, to explain a failed start.
    func recentOutput(_ state: SpawnerState) async -> [String]
}
