import CygnetRuntime
import Foundation
import Hummingbird
import JWTKit

/// What relying parties ask about tokens: userinfo (OIDC Core §5.3), revocation (RFC 7009) and
/// introspection (RFC 7662).
struct TokenInformationController: Sendable {
    let context: AuthContext
    var checker: AccessTokenChecker { AccessTokenChecker(context: context) }
    var authenticator: ClientAuthenticator { ClientAuthenticator(clients: context.clientDirectory) }

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        group.get("userinfo") { request, _ in try await userinfo(request, form: nil) }
        group.post("userinfo") { request, _ in
            let form =
                request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
                ? try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes) : nil
            return try await userinfo(request, form: form)
        }
        group.post("revoke") { request, _ in
            let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
            let client = try await authenticator.authenticate(request, form: form, allowPublic: true)
            try await revoke(try form.require("token"), client: client)
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        }
        group.post("introspect") { request, _ in
            let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
            _ = try await authenticator.authenticate(request, form: form, allowPublic: false)
            return try TokenController.json(try await introspect(try form.require("token")))
        }
    }

    func userinfo(_ request: Request, form: FormParameters?) async throws -> Response {
        let checked = try await checker.require(request, form: form, scope: "openid")
        guard let account = checked.account else { throw OAuthError.invalidToken("the token belongs to no user") }
        let scopes = checked.claims.scopes
        var claims: [String: JSONValue] = ["sub": .string(account.id), "preferred_username": .string(account.username)]
        if scopes.contains("profile") { claims["name"] = .string(account.displayName) }
        if scopes.contains("email"), !account.email.isEmpty { claims["email"] = .string(account.email) }
        if scopes.contains("groups") { claims["groups"] = .strings(account.groups) }
        return try TokenController.json(claims)
    }

    /// Revokes the grant behind a refresh or access token of this client; unknown tokens are not an error (RFC 7009 §2.2).
    func revoke(_ token: String, client: RegisteredClient) async throws {
        let now = AuthContext.now()
        if let grant = try await context.grants.grantOfRefreshToken(token, now: now), grant.clientID == client.id {
            try await context.grants.revoke(grantID: grant.id, now: now)
        } else if let checked = try await checker.check(token), checked.grant.clientID == client.id {
            try await context.grants.revoke(grantID: checked.grant.id, now: now)
        }
    }

    func introspect(_ token: String) async throws -> [String: JSONValue] {
        let now = AuthContext.now()
        if let checked = try await checker.check(token) {
            var result: [String: JSONValue] = [
                "active": .bool(true), "token_type": .string("access_token"), "scope": .string(checked.claims.scope),
                "client_id": .string(checked.claims.clientID), "sub": .string(checked.claims.sub.value),
                "exp": .int(Int64(checked.claims.exp.value.timeIntervalSince1970)),
                "iat": .int(Int64(checked.claims.iat.value.timeIntervalSince1970)), "iss": .string(context.issuer),
                "aud": .strings(checked.claims.aud.value), "jti": .string(checked.claims.jti.value),
            ]
            if let account = checked.account {
                result["username"] = .string(account.username)
                result["groups"] = .strings(account.groups)
            }
            return result
        }
        if let grant = try await context.grants.grantOfRefreshToken(token, now: now), !grant.revoked,
            let userID = grant.userID, let account = try await context.accounts.users.find(id: userID),
            !account.isDisabled
        {
            return [
                "active": .bool(true), "token_type": .string("refresh_token"), "scope": .string(grant.scope),
                "client_id": .string(grant.clientID), "sub": .string(account.id), "username": .string(account.username),
                "iss": .string(context.issuer),
            ]
        }
        return ["active": .bool(false)]
    }
}

/// A small JSON value for responses whose keys depend on scopes.
enum JSONValue: Encodable, Sendable {
    case string(String)
    case strings([String])
    case bool(Bool)
    case int(Int64)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        }
    }
}
