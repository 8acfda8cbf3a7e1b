import CygnetRuntime
import Foundation
import Hummingbird

/// Who is calling the hub: a user (browser session or token) or a service (token), with what they may do.
struct Identity: Sendable {
    enum Kind: String, Sendable {
        case user
        case service
    }

    var kind: Kind
    var name: String
    var user: HubUser?
    var scopes: Scopes
    var token: APIToken?
    /// Digest of the browser session, when the caller came with the hub cookie.
    var sessionDigest: String?

    var isAdmin: Bool { user?.isAdmin ?? false }
}

/// Finds the caller of a request: `Authorization: token …` / `Bearer …` for the API, or the hub's session cookie.
struct IdentityResolver: Sendable {
    let context: HubContext

    static let sessionCookie = "cygnet-hub-session"

    /// The token in the Authorization header, if any.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, ["token", "bearer"].contains(parts[0].lowercased()) else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    func identify(token secret: String) async throws -> Identity? {
        let now = Timestamps.now()
        guard let token = try await context.tokens.find(secret: secret, now: now) else { return nil }
        if let service = token.serviceName {
            return Identity(kind: .service, name: service, user: nil, scopes: Scopes(token.scopes), token: token)
        }
        guard let name = token.userName, let user = try await context.users.find(name) else { return nil }
        // A token never does more than its owner may: an admin's token keeps its scopes, a user's is narrowed.
        let scopes =
            token.scopes.isEmpty
            ? user.scopes
            : Scopes(
                token.scopes.filter { scope in
                    user.isAdmin || Self.within(scope, owner: name)
                })
        return Identity(kind: .user, name: name, user: user, scopes: scopes, token: token)
    }

    /// Whether a scope a user's token carries only touches that user, and is something the user may do.
    static func within(_ scope: String, owner: String) -> Bool {
        let (base, filter) = Scopes.split(scope)
        guard let filter, filter == "user=\(owner)" || filter.hasPrefix("server=\(owner)/") else { return false }
        return Scopes.owner(owner).allows(base, user: owner)
    }

    static func echoesCSRF(_ request: Request) -> Bool {
        guard let cookie = request.cookies[PagesController.csrfCookie]?.value, cookie.count >= 32,
            let header = request.headers[.init("X-XSRFToken")!]
        else { return false }
        return ConstantTime.equals(cookie, header)
    }

    /// The caller and user `name`, if the caller may use `scope` on that user (and their default server). A caller
    /// without the scope for anyone learns nothing about whether the user exists.
    func authorize(_ request: Request, user name: String, scope: String) async throws -> (Identity, HubUser) {
        let identity = try await identifyAPI(request)
        guard let user = try await context.users.find(name) else {
            throw identity.scopes.allowsAny(scope) ? HubAPIError.notFound("User \(name)") : HubAPIError.forbidden()
        }
        guard identity.scopes.allows(scope, user: name, server: "", groups: user.groups) else {
            throw HubAPIError.forbidden()
        }
        return (identity, user)
    }

    /// The browser session's user, if the cookie is valid.
    func identifyBrowser(_ request: Request) async throws -> Identity? {
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty,
            let (name, _) = try await context.users.session(id: cookie, now: Timestamps.now()),
            let user = try await context.users.find(name)
        else { return nil }
        return Identity(
            kind: .user, name: name, user: user, scopes: user.scopes, token: nil,
            sessionDigest: SecretDigest.hash(cookie))
    }

    /// For the REST API: a token, or the browser session (as JupyterHub allows). A browser's writes must echo the
    /// hub's CSRF cookie in `X-XSRFToken`, which another site cannot read, so it cannot forge them.
    func identifyAPI(_ request: Request) async throws -> Identity {
        if let secret = Self.bearerToken(request) {
            guard let identity = try await identify(token: secret) else {
                throw HubAPIError(.forbidden, "Invalid or expired token")
            }
            return identity
        }
        if let identity = try await identifyBrowser(request) {
            if request.method == .get || request.method == .head || Self.echoesCSRF(request) { return identity }
            throw HubAPIError(
                .forbidden, "Changes through the API from a browser need the X-XSRFToken header (or a token)")
        }
        throw HubAPIError(.forbidden, "Missing or invalid credentials: send 'Authorization: token <your token>'")
    }
}
