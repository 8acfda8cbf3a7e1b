import CygnetRuntime
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `/hub/api/users/:name/server…`: start, stop, progress and activity of a user's session (contract §7, §9).
/// Only the default server exists; named servers are answered with a clear 400.
struct ServerAPI: Sendable {
    let context: HubContext
    let resolver: IdentityResolver

    func addRoutes(to api: RouterGroup<HubRequestContext>) {
        api.post("users/:name/server") { request, context in try await start(request, name: try context.name()) }
        api.delete("users/:name/server") { request, context in try await stop(request, name: try context.name()) }
        api.get("users/:name/server/progress") { request, context in
            try await progress(request, name: try context.name())
        }
        api.post("users/:name/servers/:server") { request, context in
            try Self.defaultServerOnly(context)
            return try await start(request, name: try context.name())
        }
        api.delete("users/:name/servers/:server") { request, context in
            try Self.defaultServerOnly(context)
            return try await stop(request, name: try context.name())
        }
        api.get("users/:name/servers/:server/progress") { request, context in
            try Self.defaultServerOnly(context)
            return try await progress(request, name: try context.name())
        }
        api.post("users/:name/activity") { request, context in try await activity(request, name: try context.name()) }
    }

    static func defaultServerOnly(_ context: HubRequestContext) throws {
        let server = try context.parameters.require("server")
        guard server.isEmpty else {
            throw HubAPIError(.badRequest, "Named servers are not enabled; use /users/<name>/server")
        }
    }

    func start(_ request: Request, name: String) async throws -> Response {
        let (identity, user) = try await resolver.authorize(request, user: name, scope: "servers")
        let body = try await JSONResponse.object(of: request)
        let raw = (body["user_options"] as? [String: Any]) ?? body
        let fields = raw.mapValues { value in
            switch value {
            case let text as String: text
            case let number as NSNumber: number.stringValue
            default: "\(value)"
            }
        }
        let options: SessionOptions
        do {
            options = try SessionOptions.parse(fields, settings: context.settings, groups: user.groups)
        } catch {
            throw HubAPIError(.badRequest, error.message)
        }
        switch await context.sessions.requestSpawn(user, options: options) {
        case .alreadyRunning:
            throw HubAPIError(.badRequest, "\(name) is already running")
        case .alreadyPending:
            return Response(status: .accepted)
        case .started:
            if identity.name != name {
                context.logger.info(
                    "session started by someone else", metadata: ["user": "\(name)", "by": "\(identity.name)"])
            }
        }
        // Like JupyterHub: 201 when the server is ready quickly, 202 while it is still starting.
        for _ in 0..<100 {
            guard let session = await context.sessions.session(of: name) else {
                let failure = await context.sessions.lastFailure(of: name)
                let reason = failure?.last?.message ?? "the spawn failed"
                throw HubAPIError(.internalServerError, reason)
            }
            if session.phase == .ready { return Response(status: .created) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return Response(status: .accepted)
    }

    func stop(_ request: Request, name: String) async throws -> Response {
        let (identity, _) = try await resolver.authorize(request, user: name, scope: "delete:servers")
        guard await context.sessions.requestStop(name) else { return Response(status: .noContent) }
        if identity.name != name {
            context.logger.info(
                "session stopped by someone else", metadata: ["user": "\(name)", "by": "\(identity.name)"])
        }
        for _ in 0..<100 {
            if await context.sessions.session(of: name) == nil { return Response(status: .noContent) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return Response(status: .accepted)
    }

    /// Server-sent events: every step so far, then live ones, ending with `ready` or `failed`.
    func progress(_ request: Request, name: String) async throws -> Response {
        _ = try await resolver.authorize(request, user: name, scope: "read:servers")
        let session = await context.sessions.session(of: name)
        let failure = await context.sessions.lastFailure(of: name)
        guard session != nil || failure != nil else { throw HubAPIError(.badRequest, "\(name) is not running") }
        let events = await context.sessions.progress(of: name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                // Events, and a blank line whenever 8 s pass without one (as JupyterHub sends), so proxies and clients
                // that give up on a silent connection keep this one through a slow start.
                let (merged, sink) = AsyncStream.makeStream(of: ProgressEvent?.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { sink.yield(event) }
                        sink.finish()
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(8))
                            sink.yield(nil)
                        }
                    }
                    for await item in merged {
                        guard let event = item else {
                            try await writer.write(ByteBuffer(string: "\n"))
                            continue
                        }
                        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
                        try await writer.write(ByteBuffer(string: "data: \(json)\n\n"))
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    /// The session server's activity report: `{"servers": {"": {"last_activity": TS}}, "last_activity": TS}`.
    func activity(_ request: Request, name: String) async throws -> Response {
        _ = try await resolver.authorize(request, user: name, scope: "users:activity")
        let body = try await JSONResponse.object(of: request)
        var latest: Date?
        let limit = Date().addingTimeInterval(59 * 60)
        func check(_ value: Any?) throws {
            guard let value else { return }
            guard let text = value as? String, let date = Timestamps.parse(text) else {
                throw HubAPIError(.badRequest, "last_activity must be an ISO 8601 timestamp")
            }
            guard date < limit else { throw HubAPIError(.badRequest, "last_activity is in the future") }
            latest = max(latest ?? date, date)
        }
        try check(body["last_activity"])
        if let servers = body["servers"] as? [String: Any] {
            for (server, report) in servers {
                guard server.isEmpty else { throw HubAPIError(.badRequest, "No such server: '\(server)'") }
                try check((report as? [String: Any])?["last_activity"])
            }
        }
        if let latest {
            try await context.users.recordActivity(name, at: Int64(latest.timeIntervalSince1970))
        }
        return Response(status: .ok)
    }
}
