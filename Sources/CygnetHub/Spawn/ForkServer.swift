import Crypto
import Foundation
import Logging
import NIOPosix
import Synchronization

/// Starts sessions by forking a Python process that has already imported jupyterhub-singleuser and JupyterLab
/// (`ForkServerScript`), one per software stack. Importing them costs about two seconds of CPU per session; with
/// thirty students arriving at once on two cores, that alone would make the last one wait half a minute. The
/// children run the unmodified `jupyterhub-singleuser` entry point with the full contract environment.
///
/// The fork server lives as long as the hub (it exits when its parent does); the sessions it forked do not
/// depend on it.
actor ForkServer {
    let stack: HubSettings.Stack
    let directory: String
    let logger: Logger
    private var processID: Int32?
    private var startTime: UInt64?
    private var starting: Task<Void, any Error>?

    init(stack: HubSettings.Stack, directory: String, logger: Logger) {
        self.stack = stack
        self.directory = directory
        self.logger = logger
    }

    /// Per stack name and prefix: a stack published under /cvmfs may share its name with the local one.
    var fileStem: String {
        let prefixDigest = SHA256.hash(data: Array(stack.prefix.utf8)).prefix(4).map { String(format: "%02x", $0) }
        return directory + "/forkserver-\(stack.name)-\(prefixDigest.joined())"
    }

    var socketPath: String { fileStem + ".sock" }

    struct Request: Encodable {
        var uid: UInt32?
        var gid: UInt32?
        var cwd: String
        var env: [String: String]
        var argv: [String]
        var log: String
    }

    /// Starts the fork server if it is not running, and waits until it accepts requests. Callers that arrive
    /// while it starts (the hub's warm-up and a first session) wait for that start instead of making another.
    func ensureRunning() async throws {
        if let starting { return try await starting.value }
        if let processID, DetachedProcess.isAlive(processID: processID, startTime: startTime),
            FileManager.default.fileExists(atPath: socketPath)
        {
            return
        }
        let start = Task { try await self.start() }
        starting = start
        defer { starting = nil }
        try await start.value
    }

    private func start() async throws {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let script = directory + "/" + ForkServerScript.fileName
        try Data(ForkServerScript.source.utf8).write(to: URL(fileURLWithPath: script), options: .atomic)
        unlink(socketPath)
        let started = try DetachedProcess.spawn(
            arguments: [stack.prefix + "/bin/python3", "-I", script, socketPath, String(getpid())],
            environment: ["PATH": "\(stack.prefix)/bin:/usr/bin:/bin", "LANG": "C.UTF-8"], directory: directory,
            logFile: fileStem + ".log", identity: nil)
        processID = started.processID
        startTime = started.startTime
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard DetachedProcess.isAlive(processID: started.processID, startTime: started.startTime) else {
                throw SpawnFailure("The fork server of the \(stack.name) stack stopped while starting.")
            }
            guard ContinuousClock.now < deadline else {
                throw SpawnFailure("The fork server of the \(stack.name) stack did not start within 60 seconds.")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        logger.info("fork server ready", metadata: ["stack": "\(stack.name)", "pid": "\(started.processID)"])
    }

    /// Forks a session; returns its process id.
    func spawn(_ request: Request) async throws -> Int32 {
        try await ensureRunning()
        let line = try JSONEncoder().encode(request) + Data("\n".utf8)
        let path = socketPath
        let reply = try await NIOThreadPool.singleton.runIfActive { try Self.exchange(line, over: path) }
        guard let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
            throw SpawnFailure("The fork server answered something that is not JSON.")
        }
        if let error = object["error"] as? String {
            throw SpawnFailure("The fork server could not start the session: \(error)")
        }
        guard let pid = object["pid"] as? Int else {
            throw SpawnFailure("The fork server answered without a process id.")
        }
        return Int32(pid)
    }

    /// One request and its answer over the Unix socket (blocking; runs on NIO's thread pool).
    static func exchange(_ request: Data, over path: String) throws -> Data {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SpawnFailure("No socket for the fork server.") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw SpawnFailure("The fork server's socket path is too long.") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
            buffer[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw SpawnFailure("The fork server does not accept connections.") }
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw SpawnFailure("Could not send the request to the fork server.") }
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(UInt8(ascii: "\n")) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            reply.append(contentsOf: buffer[0..<count])
        }
        return reply
    }
}

/// The fork servers of the stacks used so far, one per stack name and prefix, made on first use (a stack
/// published after the hub started gets one too).
final class ForkServers: Sendable {
    private let directory: String
    private let logger: Logger
    private let servers = Mutex<[HubSettings.Stack: ForkServer]>([:])

    init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    func server(for stack: HubSettings.Stack) -> ForkServer {
        servers.withLock { servers in
            if let server = servers[stack] { return server }
            let server = ForkServer(stack: stack, directory: directory, logger: logger)
            servers[stack] = server
            return server
        }
    }
}
