import CygnetRuntime
import Foundation
import Logging
import ServiceLifecycle

/// Stops sessions nobody has used for `idle_timeout`. Activity is the later of what the session server reports
/// (kernels, terminals) and the traffic the proxy saw (HTTP and WebSocket messages).
struct IdleCuller: Service {
    let context: HubContext
    let proxy: ProxyClient

    func run() async throws {
        let interval = context.settings.sessions.cullInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            do {
                try await cullOnce()
            } catch {
                context.logger.warning("idle check failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func cullOnce() async throws {
        for route in try await proxy.routes() {
            guard let user = route.user, let seen = route.lastActivity else { continue }
            try await context.users.recordActivity(user, at: Int64(seen.timeIntervalSince1970))
        }
        let now = Timestamps.now()
        let limit = context.settings.sessions.idleTimeout.components.seconds
        for server in try await context.users.servers() where now - server.lastActivity > limit {
            guard await context.sessions.session(of: server.userName)?.phase == .ready else { continue }
            let minutes = max(1, limit / 60)
            context.logger.info("stopping an idle session", metadata: ["user": "\(server.userName)"])
            await context.sessions.requestStop(
                server.userName,
                notice: "Your session was stopped after \(minutes) minute(s) without activity. Your files are kept.")
        }
    }
}
