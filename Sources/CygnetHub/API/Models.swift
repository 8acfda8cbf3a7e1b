import Foundation

/// The JSON models of the JupyterHub REST API (contract §6, §10).
enum Models {
    static func server(user: String, session: SessionManager.Session, stored: StoredServer?, includeState: Bool)
        -> [String: Any]
    {
        let prefix = SessionManager.prefix(of: user)
        var model: [String: Any] = [
            "name": "", "display_name": "", "full_name": "\(user)/",
            "last_activity": (stored?.lastActivity).map(Timestamps.format).orNull,
            "started": Timestamps.format(session.startedAt),
            "pending": session.phase == .ready ? NSNull() : session.phase.rawValue as Any,
            "ready": session.phase == .ready, "stopped": false, "url": prefix,
            "user_options": userOptions(session.options), "progress_url": "/hub/api/users/\(user)/server/progress",
            "full_url": NSNull(), "full_progress_url": NSNull(),
        ]
        if includeState, let state = session.state {
            model["state"] = [
                "kind": state.kind, "pid": state.processID.orNull, "port": state.port,
                "unix_account": state.unixAccount.orNull,
            ]
        }
        return model
    }

    static func userOptions(_ options: SessionOptions) -> [String: Any] {
        var result: [String: Any] = [
            "stack": options.stack, "cores": options.cores, "memory_mb": options.memoryMB,
        ]
        if !options.startupScript.isEmpty { result["startup_script"] = options.startupScript }
        if let open = options.open { result["open"] = open }
        return result
    }

    /// A user as the caller may see them: everything with `read:users`, less with narrower scopes.
    static func user(
        _ user: HubUser, session: SessionManager.Session?, stored: StoredServer?, viewer: Scopes
    ) -> [String: Any] {
        var model: [String: Any] = ["kind": "user", "name": user.name]
        if viewer.allows("read:users", user: user.name, groups: user.groups) {
            model["admin"] = user.isAdmin
            model["roles"] = user.isAdmin ? ["admin", "user"] : ["user"]
            model["created"] = Timestamps.format(user.createdAt)
            model["last_activity"] = user.lastActivity.map(Timestamps.format).orNull
            model["user_info"] = NSNull()
        }
        if viewer.allows("read:users:groups", user: user.name, groups: user.groups) {
            model["groups"] = user.groups
        }
        if viewer.allows("read:servers", user: user.name, server: "", groups: user.groups) {
            let isReady = session?.phase == .ready
            model["server"] = isReady ? SessionManager.prefix(of: user.name) : NSNull()
            model["pending"] = session.map { $0.phase == .ready ? NSNull() : $0.phase.rawValue as Any } ?? NSNull()
            let includeState = viewer.allows("admin:server_state", user: user.name, groups: user.groups)
            model["servers"] =
                session.map {
                    ["": server(user: user.name, session: $0, stored: stored, includeState: includeState)]
                } ?? [:]
        }
        return model
    }

    static func token(_ token: APIToken) -> [String: Any] {
        [
            "kind": "api_token", "id": token.id, "user": token.userName.orNull, "service": token.serviceName.orNull,
            "scopes": token.scopes, "note": token.note, "oauth_client": token.clientID.orNull,
            "created": Timestamps.format(token.createdAt), "expires_at": token.expiresAt.map(Timestamps.format).orNull,
            "last_activity": token.lastActivity.map(Timestamps.format).orNull, "session_id": NSNull(),
        ]
    }
}
