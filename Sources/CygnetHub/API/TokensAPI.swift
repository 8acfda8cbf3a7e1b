import CygnetRuntime
import Foundation
import Hummingbird

/// `/hub/api/users/:name/tokens`: API tokens a user (or an admin for them) creates for scripts and services.
struct TokensAPI: Sendable {
    let context: HubContext
    let resolver: IdentityResolver

    func addRoutes(to api: RouterGroup<HubRequestContext>) {
        api.get("users/:name/tokens") { request, context in try await list(request, name: try context.name()) }
        api.post("users/:name/tokens") { request, context in try await create(request, name: try context.name()) }
        api.get("users/:name/tokens/:id") { request, context in
            try await get(request, name: try context.name(), id: try context.parameters.require("id"))
        }
        api.delete("users/:name/tokens/:id") { request, context in
            try await revoke(request, name: try context.name(), id: try context.parameters.require("id"))
        }
    }

    func list(_ request: Request, name: String) async throws -> Response {
        _ = try await resolver.authorize(request, user: name, scope: "read:tokens")
        let tokens = try await context.tokens.tokens(of: name, now: Timestamps.now())
        return try JSONResponse.make(["api_tokens": tokens.map(Models.token)])
    }

    func get(_ request: Request, name: String, id: String) async throws -> Response {
        _ = try await resolver.authorize(request, user: name, scope: "read:tokens")
        guard let token = try await context.tokens.tokens(of: name, now: Timestamps.now()).first(where: { $0.id == id })
        else { throw HubAPIError.notFound("Token \(id)") }
        return try JSONResponse.make(Models.token(token))
    }

    /// A new token, shown once. It carries at most what its owner may do (all of it when no scopes are asked for).
    func create(_ request: Request, name: String) async throws -> Response {
        let (identity, user) = try await resolver.authorize(request, user: name, scope: "tokens")
        let body = try await JSONResponse.object(of: request)
        let requested = body["scopes"] as? [String] ?? []
        for scope in requested where !Scopes.isKnown(scope) {
            throw HubAPIError(.badRequest, "'\(scope)' is not a scope the hub knows")
        }
        let scopes = requested.map { scope in
            user.isAdmin || Scopes.split(scope).filter != nil ? scope : "\(scope)!user=\(name)"
        }
        for scope in scopes where !user.isAdmin && !IdentityResolver.within(scope, owner: name) {
            throw HubAPIError(.forbidden, "\(name) may not hold the scope \(scope)")
        }
        var lifetime: Int64?
        if let seconds = body["expires_in"] as? Int {
            guard seconds > 0 else { throw HubAPIError(.badRequest, "expires_in must be a positive number of seconds") }
            lifetime = Int64(seconds)
        }
        let (secret, token) = try await context.tokens.issue(
            user: name, scopes: scopes.isEmpty ? user.scopes.granted : scopes,
            note: (body["note"] as? String) ?? "Requested via API by \(identity.kind.rawValue) \(identity.name)",
            now: Timestamps.now(), lifetime: lifetime)
        var model = Models.token(token)
        model["token"] = secret
        return try JSONResponse.make(model, status: .created)
    }

    func revoke(_ request: Request, name: String, id: String) async throws -> Response {
        _ = try await resolver.authorize(request, user: name, scope: "tokens")
        guard try await context.tokens.revoke(id: id, of: name) else { throw HubAPIError.notFound("Token \(id)") }
        return Response(status: .noContent)
    }
}
