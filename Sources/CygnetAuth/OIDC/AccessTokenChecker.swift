import CygnetRuntime
import Foundation
import Hummingbird
import JWTKit

/// Checks access tokens presented to cygnet-auth itself (userinfo, admin API, introspection): signature by one of
/// our keys, issuer, expiry, and — unlike a remote service — that the grant is not revoked and the account is live.
struct AccessTokenChecker: Sendable {
    let context: AuthContext

    struct Checked: Sendable {
        var claims: AccessTokenClaims
        var grant: Grant
        var account: Account?
    }

    /// The checked token, or nil if it is not a live access token of ours.
    func check(_ token: String) async throws -> Checked? {
        guard let claims = try? await context.keys.verify(token, as: AccessTokenClaims.self),
            claims.iss.value == context.issuer, let grantID = claims.grantID,
            let grant = try await context.grants.grant(id: grantID), !grant.revoked
        else { return nil }
        guard let userID = grant.userID else { return Checked(claims: claims, grant: grant, account: nil) }
        guard let account = try await context.accounts.users.find(id: userID), !account.isDisabled else { return nil }
        return Checked(claims: claims, grant: grant, account: account)
    }

    /// The bearer token of `request` (RFC 6750 header, or `access_token` in a form body), checked and holding `scope`.
    func require(_ request: Request, form: FormParameters? = nil, scope: String? = nil) async throws -> Checked {
        var token: String?
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw OAuthError.invalidToken("use the Bearer authorization scheme")
            }
            token = String(header.dropFirst(7)).trimmingWhitespace()
        } else if let form {
            token = try form.value("access_token")
        }
        guard let token, !token.isEmpty else {
            throw OAuthError(
                "invalid_request", "an access token is required", status: .unauthorized,
                challenge: #"Bearer realm="cygnet""#)
        }
        guard let checked = try await check(token) else {
            throw OAuthError.invalidToken("the access token is invalid, expired or revoked")
        }
        if let scope, !checked.claims.scopes.contains(scope) { throw OAuthError.insufficientScope(scope) }
        if scope == RegisteredClient.adminScope, let account = checked.account, !account.isAdmin {
            throw OAuthError.insufficientScope(scope ?? "")
        }
        return checked
    }
}
