import CygnetRuntime
import Foundation
import Hummingbird
import Logging

/// `/hub/api`: the version, the caller, users and groups (JupyterHub's REST API, contract §6, §10).
struct UsersAPI: Sendable {
    let context: HubContext
    let resolver: IdentityResolver

    func addRoutes(to api: RouterGroup<HubRequestContext>) {
        api.get("") { _, _ in try JSONResponse.make(["version": HubContext.apiVersion]) }
        api.get("user") { request, _ in try await whoAmI(request) }
        api.get("users") { request, _ in try await listUsers(request) }
        api.get("users/:name") { request, context in try await getUser(request, name: try context.name()) }
        api.post("users/:name") { request, context in try await createUser(request, name: try context.name()) }
        api.delete("users/:name") { request, context in try await deleteUser(request, name: try context.name()) }
        api.get("groups") { request, _ in try await listGroups(request) }
        api.get("groups/:group") { request, context in
            try await getGroup(request, name: try context.parameters.require("group"))
        }
    }

    func whoAmI(_ request: Request) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        var model: [String: Any] = ["kind": identity.kind.rawValue, "name": identity.name]
        model["scopes"] = identity.scopes.expanded
        if let user = identity.user {
            let full = Models.user(
                user, session: await context.sessions.session(of: user.name), stored: nil, viewer: user.scopes)
            model.merge(full) { mine, _ in mine }
            model["groups"] = user.groups
            model["admin"] = user.isAdmin
            model["token_id"] = (identity.token?.id).orNull
            model["session_id"] = identity.sessionDigest.map { String($0.prefix(32)) }.orNull
        }
        return try JSONResponse.make(model)
    }

    func listUsers(_ request: Request) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        guard identity.scopes.allowsAny("list:users") else { throw HubAPIError.forbidden() }
        let query = URLEncodedForm(encoded: Substring(request.uri.query ?? ""))
        let state = query["state"]
        if let state, !["ready", "active", "inactive"].contains(state) {
            throw HubAPIError(.badRequest, "state must be ready, active or inactive, not '\(state)'")
        }
        let offset = max(0, Int(query["offset"] ?? "") ?? 0)
        let limit = min(max(1, Int(query["limit"] ?? "") ?? 200), 200)
        let stored = Dictionary(
            try await context.users.servers().map { ($0.userName, $0) }, uniquingKeysWith: { first, _ in first })
        var visible: [[String: Any]] = []
        for user in try await context.users.all()
        where identity.scopes.allows("list:users", user: user.name, groups: user.groups) {
            let session = await context.sessions.session(of: user.name)
            switch state {
            case "ready" where session?.phase != .ready: continue
            case "active" where session == nil: continue
            case "inactive" where session != nil: continue
            default: break
            }
            visible.append(
                Models.user(user, session: session, stored: stored[user.name], viewer: identity.scopes))
        }
        let page = Array(visible.dropFirst(offset).prefix(limit))
        guard (request.headers[.accept] ?? "").contains("application/jupyterhub-pagination+json") else {
            return try JSONResponse.make(page)
        }
        var next: Any = NSNull()
        if offset + limit < visible.count {
            var items = [
                URLQueryItem(name: "offset", value: String(offset + limit)),
                URLQueryItem(name: "limit", value: String(limit)),
            ]
            if let state { items.append(URLQueryItem(name: "state", value: state)) }
            var components = URLComponents()
            components.path = "/hub/api/users"
            components.queryItems = items
            next = ["offset": offset + limit, "limit": limit, "url": context.appliance.publicURL + components.string!]
        }
        return try JSONResponse.make([
            "items": page,
            "_pagination": ["offset": offset, "limit": limit, "total": visible.count, "next": next],
        ])
    }

    func getUser(_ request: Request, name: String) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        guard let user = try await context.users.find(name) else {
            throw identity.scopes.allowsAny("read:users:name") ? HubAPIError.notFound("User \(name)") : .forbidden()
        }
        guard identity.scopes.allows("read:users:name", user: name, groups: user.groups) else {
            throw HubAPIError.forbidden()
        }
        let stored = try await context.users.servers(of: name).first
        return try JSONResponse.make(
            Models.user(
                user, session: await context.sessions.session(of: name), stored: stored, viewer: identity.scopes))
    }

    /// Adds a user to the hub (they still sign in through cygnet-auth with an account there).
    func createUser(_ request: Request, name: String) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        guard identity.scopes.allows("admin:users") else { throw HubAPIError.forbidden() }
        guard AccountName.isValid(name) else {
            throw HubAPIError(.badRequest, "'\(name)' is not a valid user name (a–z, 0–9, '.', '_', '-'; at most 32)")
        }
        if try await context.users.find(name) != nil { throw HubAPIError(.conflict, "User \(name) already exists") }
        let body = try await JSONResponse.object(of: request)
        let user = try await context.users.upsert(
            name: name, isAdmin: body["admin"] as? Bool ?? false, groups: [], now: Timestamps.now())
        return try JSONResponse.make(
            Models.user(user, session: nil, stored: nil, viewer: identity.scopes), status: .created)
    }

    func deleteUser(_ request: Request, name: String) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        guard let user = try await context.users.find(name) else { throw HubAPIError.notFound("User \(name)") }
        guard identity.scopes.allows("delete:users", user: name, groups: user.groups) else {
            throw HubAPIError.forbidden()
        }
        await context.sessions.stopAndWait(name)
        try await context.users.remove(name)
        context.logger.info("user removed from the hub", metadata: ["user": "\(name)", "by": "\(identity.name)"])
        return Response(status: .noContent)
    }

    func listGroups(_ request: Request) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        guard identity.scopes.allowsAny("list:groups") || identity.scopes.allowsAny("read:groups") else {
            throw HubAPIError.forbidden()
        }
        let groups = try await groupMembers()
        let visible = groups.keys.sorted().filter {
            identity.scopes.allows("read:groups", user: nil) || groups[$0]!.contains(identity.name)
        }
        return try JSONResponse.make(visible.map { Self.groupModel($0, members: groups[$0]!) })
    }

    func getGroup(_ request: Request, name: String) async throws -> Response {
        let identity = try await resolver.identifyAPI(request)
        let groups = try await groupMembers()
        guard let members = groups[name] else { throw HubAPIError.notFound("Group \(name)") }
        guard identity.scopes.allows("read:groups", user: nil) || members.contains(identity.name) else {
            throw HubAPIError.forbidden()
        }
        return try JSONResponse.make(Self.groupModel(name, members: members))
    }

    /// Groups come from cygnet-auth with each sign-in; the hub knows the members it has seen.
    func groupMembers() async throws -> [String: [String]] {
        var groups: [String: [String]] = [:]
        for user in try await context.users.all() {
            for group in user.groups { groups[group, default: []].append(user.name) }
        }
        return groups
    }

    static func groupModel(_ name: String, members: [String]) -> [String: Any] {
        ["kind": "group", "name": name, "users": members.sorted(), "roles": [String](), "properties": [String: Any]()]
    }
}

extension HubRequestContext {
    /// The `:name` path parameter.
    func name() throws -> String {
        try parameters.require("name")
    }
}
