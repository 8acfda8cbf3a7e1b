public import AsyncHTTPClient
public import CygnetRuntime
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import Synchronization

/// Owns every user's session: starts them (token, OAuth client, spawner, readiness, proxy route), reports progress,
/// stops them, re-adopts them after a hub restart and notices when one dies.
///
/// Spawns and stops run as child tasks of `run()` (a service of the hub), so they end with the hub, while the
/// session processes themselves keep running for the next hub to adopt.
public actor SessionManager: Service {
    public enum Phase: String, Sendable {
        case spawning = "spawn"
        case ready
        case stopping = "stop"
    }

    /// What the hub knows about one user's (default) server.
    public struct Session: Sendable {
        public var user: String
        public var phase: Phase
        public var options: SessionOptions
        public var state: SpawnerState?
        public var startedAt: Int64
        public var events: [ProgressEvent]
    }

    public enum Request: Sendable {
        case spawn(HubUser, SessionOptions)
        case stop(String, notice: String?)
    }

    let settings: HubSettings
    let appliance: ApplianceSettings
    let spawner: any Spawner
    let users: HubUserStore
    let tokens: TokenStore
    let proxy: ProxyClient
    let httpClient: HTTPClient
    let logger: Logger
    private var sessions: [String: Session] = [:]
    private var watchers: [String: [UUID: AsyncStream<ProgressEvent>.Continuation]] = [:]
    /// The last failed spawn per user, shown on their home page until the next attempt.
    private var failures: [String: [ProgressEvent]] = [:]
    private let requests: AsyncStream<Request>
    private let requestSink: AsyncStream<Request>.Continuation

    public init(
        settings: HubSettings, appliance: ApplianceSettings, spawner: any Spawner, store: SQLStore,
        proxy: ProxyClient, httpClient: HTTPClient = .shared, logger: Logger
    ) {
        self.settings = settings
        self.appliance = appliance
        self.spawner = spawner
        self.users = HubUserStore(store: store)
        self.tokens = TokenStore(store: store)
        self.proxy = proxy
        self.httpClient = httpClient
        self.logger = logger
        (requests, requestSink) = AsyncStream.makeStream(of: Request.self)
    }

    public nonisolated var spawnerDescription: String { spawner.description }

    public static func prefix(of user: String) -> String { "/user/\(user)/" }

    // MARK: Queries

    public func session(of user: String) -> Session? { sessions[user] }

    public func lastFailure(of user: String) -> [ProgressEvent]? { failures[user] }

    public func usage(of user: String) async -> ResourceUsage? {
        guard let state = sessions[user]?.state else { return nil }
        return await spawner.usage(state)
    }

    /// The events so far, then live ones until the spawn ends. Empty when nothing is happening.
    public func progress(of user: String) -> AsyncStream<ProgressEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ProgressEvent.self)
        guard let session = sessions[user] else {
            for event in failures[user] ?? [] { continuation.yield(event) }
            continuation.finish()
            return stream
        }
        if session.phase == .ready {
            continuation.yield(readyEvent(for: user))
            continuation.finish()
            return stream
        }
        for event in session.events { continuation.yield(event) }
        let id = UUID()
        watchers[user, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.forget(watcher: id, of: user) }
        }
        return stream
    }

    private func forget(watcher: UUID, of user: String) {
        watchers[user]?[watcher] = nil
    }

    // MARK: Commands

    public enum SpawnOutcome: Sendable, Equatable {
        case started
        case alreadyRunning
        case alreadyPending
    }

    /// Begins a spawn; the work happens in `run()`.
    public func requestSpawn(_ user: HubUser, options: SessionOptions) -> SpawnOutcome {
        if let existing = sessions[user.name] {
            return existing.phase == .ready ? .alreadyRunning : .alreadyPending
        }
        failures[user.name] = nil
        sessions[user.name] = Session(
            user: user.name, phase: .spawning, options: options, state: nil, startedAt: Timestamps.now(), events: [])
        emit(ProgressEvent(progress: 0, message: "Server requested"), for: user.name)
        requestSink.yield(.spawn(user, options))
        return .started
    }

    /// Begins a stop; returns false when there was nothing to stop.
    @discardableResult
    public func requestStop(_ user: String, notice: String? = nil) -> Bool {
        guard var session = sessions[user], session.phase != .stopping else { return false }
        session.phase = .stopping
        sessions[user] = session
        requestSink.yield(.stop(user, notice: notice))
        return true
    }

    /// Stops and waits until the session is gone (the REST API answers 204 after this).
    public func stopAndWait(_ user: String, notice: String? = nil) async {
        guard requestStop(user, notice: notice) else { return }
        while sessions[user] != nil { try? await Task.sleep(for: .milliseconds(50)) }
    }

    // MARK: Service

    public func run() async throws {
        await adoptStoredSessions()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.spawner.prepare() }
            group.addTask { await self.watchProcesses() }
            for await request in requests.cancelOnGracefulShutdown() {
                switch request {
                case .spawn(let user, let options):
                    group.addTask { await self.performSpawn(user, options: options) }
                case .stop(let user, let notice):
                    group.addTask { await self.performStop(user, notice: notice) }
                }
            }
            group.cancelAll()
        }
    }

    /// Re-adopts the sessions a previous hub left running (their kernels stay untouched); forgets dead ones.
    func adoptStoredSessions() async {
        let stored: [StoredServer]
        do {
            stored = try await users.servers()
        } catch {
            logger.error("could not read the stored sessions", metadata: ["error": "\(error)"])
            return
        }
        for server in stored {
            // Only a process that is verifiably gone is cleaned up: a slow or unreachable server stays adopted,
            // and a hub that is being stopped right now must not take sessions down with it.
            guard !Task.isCancelled else { return }
            if await spawner.poll(server.spawnerState) == .running {
                sessions[server.userName] = Session(
                    user: server.userName, phase: .ready, options: server.options, state: server.spawnerState,
                    startedAt: server.startedAt, events: [])
                logger.info("re-adopted a running session", metadata: ["user": "\(server.userName)"])
            } else {
                logger.info("a stored session is gone", metadata: ["user": "\(server.userName)"])
                await spawner.stop(server.spawnerState)
                await cleanUp(user: server.userName)
            }
        }
        await syncRoutes()
    }

    /// Makes the proxy's routes match the running sessions: restores missing ones (the proxy restarted, or the
    /// hub was re-adopting) and removes ones whose session is gone (a hub that stopped half-way).
    func syncRoutes() async {
        let routes: [ProxyClient.Route]
        do {
            routes = try await proxy.routes()
        } catch {
            logger.warning("could not read the proxy's routes", metadata: ["error": "\(error)"])
            return
        }
        let current = Dictionary(routes.map { ($0.prefix, $0.target) }, uniquingKeysWith: { first, _ in first })
        for session in sessions.values where session.phase == .ready {
            guard let state = session.state else { continue }
            let prefix = "/user/\(session.user)"
            guard current[prefix] != state.url else { continue }
            do {
                try await proxy.addRoute(prefix: prefix, target: state.url, user: session.user)
                logger.info("restored a proxy route", metadata: ["user": "\(session.user)"])
            } catch {
                logger.warning(
                    "could not restore a proxy route", metadata: ["user": "\(session.user)", "error": "\(error)"])
            }
        }
        for route in routes where route.prefix.hasPrefix("/user/") {
            let user = String(route.prefix.dropFirst("/user/".count))
            guard sessions[user] == nil else { continue }
            try? await proxy.removeRoute(prefix: route.prefix)
        }
    }

    func performSpawn(_ user: HubUser, options: SessionOptions) async {
        let name = user.name
        var state: SpawnerState?
        do {
            guard let stack = settings.stack(named: options.stack) else {
                throw SpawnFailure("The software stack '\(options.stack)' is not available any more.")
            }
            let environment = try await registerServer(for: name)
            emit(ProgressEvent(progress: 10, message: "Spawning server..."), for: name)
            let request = SpawnRequest(
                userName: name, serverName: "", options: options, stack: stack, environment: environment,
                prefix: Self.prefix(of: name))
            let started = try await spawner.start(request) { line in
                await self.emit(ProgressEvent(progress: 30, message: line), for: name)
            }
            state = started
            sessions[name]?.state = started
            emit(ProgressEvent(progress: 50, message: "Waiting for JupyterLab to answer …"), for: name)
            try await waitUntilAnswering(started, user: name)
            try await proxy.addRoute(prefix: "/user/\(name)", target: started.url, user: name)
            let now = Timestamps.now()
            try await users.saveServer(
                StoredServer(
                    userName: name, serverName: "", spawnerState: started, options: options, startedAt: now,
                    lastActivity: now))
            try await users.recordActivity(name, at: now)
            guard sessions[name]?.phase == .spawning else {  // stopped while it started
                await spawner.stop(started)
                await cleanUp(user: name)
                return
            }
            sessions[name]?.phase = .ready
            sessions[name]?.startedAt = now
            emit(readyEvent(for: name), for: name)
            logger.info("session ready", metadata: ["user": "\(name)", "target": "\(started.url)"])
        } catch {
            let failure = error as? SpawnFailure
            var message = failure?.message ?? "\(error)"
            var output = failure?.output ?? []
            if let state, output.isEmpty { output = await spawner.recentOutput(state) }
            if let state { await spawner.stop(state) }
            for line in output { emit(ProgressEvent(progress: 90, message: line), for: name) }
            if message.isEmpty { message = "the session could not start" }
            let final = ProgressEvent(progress: 100, message: "Spawn failed: \(message)", failed: true)
            emit(final, for: name)
            failures[name] = sessions[name]?.events
            logger.warning("spawn failed", metadata: ["user": "\(name)", "reason": "\(message)"])
            await cleanUp(user: name)
        }
    }

    func performStop(_ user: String, notice: String?) async {
        if let state = sessions[user]?.state { await spawner.stop(state) }
        if let notice {
            try? await users.setNotice(notice, for: user)
        }
        await cleanUp(user: user)
        logger.info("session stopped", metadata: ["user": "\(user)"])
    }

    /// Removes route, stored server, server token and OAuth client; ends the session's progress streams.
    func cleanUp(user: String) async {
        do {
            try await proxy.removeRoute(prefix: "/user/\(user)")
        } catch {
            logger.warning("could not remove a proxy route", metadata: ["user": "\(user)", "error": "\(error)"])
        }
        try? await users.removeServer(user: user, server: "")
        try? await tokens.removeClient(id: Self.clientID(for: user))
        sessions[user] = nil
        for continuation in watchers[user, default: [:]].values { continuation.finish() }
        watchers[user] = nil
    }

    /// Every few seconds: a session whose process ended is cleaned up and the user told why; every ten seconds
    /// the proxy's routes are checked against the sessions.
    func watchProcesses() async {
        var rounds = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            rounds += 1
            if rounds % 5 == 0 { await syncRoutes() }
            for session in sessions.values where session.phase == .ready {
                guard let state = session.state, case .exited(let reason) = await spawner.poll(state) else { continue }
                guard !Task.isCancelled, sessions[session.user]?.phase == .ready else { continue }
                logger.warning(
                    "a session ended by itself", metadata: ["user": "\(session.user)", "reason": "\(reason)"])
                sessions[session.user]?.phase = .stopping
                try? await users.setNotice(
                    "Your previous session ended unexpectedly (\(reason)). Your files are kept; start a new session.",
                    for: session.user)
                await cleanUp(user: session.user)
            }
        }
    }

    // MARK: Spawn steps

    public static func clientID(for user: String) -> String {
        "jupyterhub-user-" + (user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? user)
    }

    /// Issues the server's token and registers its OAuth client; returns the environment of contract §2.
    func registerServer(for user: String) async throws -> [String: String] {
        let prefix = Self.prefix(of: user)
        let clientID = Self.clientID(for: user)
        let accessScopes = ["access:servers!server=\(user)/", "access:servers!user=\(user)"]
        try await tokens.removeClient(id: clientID)
        let (secret, _) = try await tokens.issue(
            user: user,
            scopes: [
                "users:activity!user=\(user)", "access:servers!server=\(user)/", "read:users:activity!user=\(user)",
            ],
            note: "server token", clientID: clientID, now: Timestamps.now(), lifetime: nil)
        try await tokens.registerClient(
            OAuthClient(
                id: clientID, redirectURI: prefix + "oauth_callback", scopes: ["access:servers!server=\(user)/"],
                userName: user, serverName: ""),
            secret: secret)
        let apiURL = "http://\(FrontAddress.reachable(settings.host)):\(settings.port)/hub/api"
        let accessJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: accessScopes), as: UTF8.self)
        return [
            "JUPYTERHUB_API_TOKEN": secret, "JPY_API_TOKEN": secret, "JUPYTERHUB_CLIENT_ID": clientID,
            "JUPYTERHUB_API_URL": apiURL, "JUPYTERHUB_ACTIVITY_URL": "\(apiURL)/users/\(user)/activity",
            "JUPYTERHUB_USER": user, "JUPYTERHUB_SERVER_NAME": "", "JUPYTERHUB_SERVICE_PREFIX": prefix,
            "JUPYTERHUB_BASE_URL": "/", "JUPYTERHUB_HOST": "",
            "JUPYTERHUB_OAUTH_CALLBACK_URL": prefix + "oauth_callback",
            "JUPYTERHUB_OAUTH_ACCESS_SCOPES": accessJSON, "JUPYTERHUB_OAUTH_SCOPES": accessJSON,
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]", "JUPYTERHUB_DEFAULT_URL": settings.sessions.defaultURL,
            "JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED": "0",
            "JUPYTERHUB_PUBLIC_URL": "", "JUPYTERHUB_PUBLIC_HUB_URL": "",
        ]
    }

    /// Contract §8: the server is up when `GET <prefix>api` answers below 500.
    func isAnswering(_ state: SpawnerState, user: String) async -> Bool {
        var request = HTTPClientRequest(url: state.url + Self.prefix(of: user) + "api")
        request.method = .GET
        guard let response = try? await httpClient.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1024 * 1024)
        return response.status.code < 500
    }

    func waitUntilAnswering(_ state: SpawnerState, user: String) async throws {
        let deadline = ContinuousClock.now + settings.sessions.startTimeout
        while ContinuousClock.now < deadline {
            if await isAnswering(state, user: user) { return }
            if case .exited(let reason) = await spawner.poll(state) {
                throw SpawnFailure("JupyterLab stopped while starting (\(reason)). Its last lines are above.")
            }
            guard sessions[user]?.phase == .spawning else { throw SpawnFailure("The start was cancelled.") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SpawnFailure(
            "JupyterLab did not answer within \(settings.sessions.startTimeout.components.seconds) seconds.")
    }

    func readyEvent(for user: String) -> ProgressEvent {
        let url = Self.prefix(of: user)
        return ProgressEvent(
            progress: 100, message: "Server ready at \(url)", ready: true, url: url,
            htmlMessage: "Server ready at <a href=\"\(url)\">\(url)</a>")
    }

    func emit(_ event: ProgressEvent, for user: String) {
        sessions[user]?.events.append(event)
        for continuation in watchers[user, default: [:]].values {
            continuation.yield(event)
            if event.isFinal { continuation.finish() }
        }
        if event.isFinal { watchers[user] = nil }
    }
}

/// How other processes on this machine reach a listen address.
enum FrontAddress {
    static func reachable(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::", "[::]": "[::1]"
        default: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
    }
}
