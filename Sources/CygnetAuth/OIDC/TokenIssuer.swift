import CygnetRuntime
import Foundation
import JWTKit

/// The tokens of one successful grant, in the shape of an OAuth token response.
public struct TokenResponse: Codable, Sendable {
    public var accessToken: String
    public var tokenType = "Bearer"
    public var expiresIn: Int64
    public var refreshToken: String?
    public var idToken: String?
    public var scope: String

    enum CodingKeys: String, CodingKey {
        case scope
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case idToken = "id_token"
    }
}

/// Makes access tokens (JWT), ID tokens (JWT) and refresh tokens (opaque, stored as digests) for a grant.
struct TokenIssuer: Sendable {
    let context: AuthContext

    /// Audience every Cygnet service accepts besides the client itself.
    static let serviceAudience = "cygnet"

    func issue(for grant: Grant, account: Account?, includeIDToken: Bool, includeRefreshToken: Bool) async throws
        -> TokenResponse
    {
        let now = AuthContext.now()
        let settings = context.settings
        let scopes = grant.scope.split(separator: " ").map(String.init)
        let access = AccessTokenClaims(
            issuer: context.issuer, subject: account?.id ?? grant.clientID,
            audience: [grant.clientID, Self.serviceAudience],
            expires: Date(timeIntervalSince1970: TimeInterval(now + settings.accessTokenLifetime.components.seconds)),
            issuedAt: Date(timeIntervalSince1970: TimeInterval(now)), id: UUID().uuidString, scope: grant.scope,
            clientID: grant.clientID, username: account?.username,
            groups: scopes.contains("groups") ? account?.groups : nil, grantID: grant.id)
        var response = TokenResponse(
            accessToken: try await context.keys.sign(access, type: "at+jwt"),
            expiresIn: settings.accessTokenLifetime.components.seconds, scope: grant.scope)
        if includeIDToken, scopes.contains("openid"), let account {
            response.idToken = try await context.keys.sign(
                idToken(for: grant, account: account, now: now), algorithm: .rs256)
        }
        if includeRefreshToken {
            let refresh = SecretDigest.newSecret()
            try await context.grants.createRefreshToken(
                refresh, grantID: grant.id, now: now, expiresAt: now + settings.refreshTokenLifetime.components.seconds)
            response.refreshToken = refresh
        }
        return response
    }

    /// Issues a new access token for a rotated refresh token (the replacement is already stored).
    func refreshed(grant: Grant, account: Account, refreshToken: String) async throws -> TokenResponse {
        var response = try await issue(for: grant, account: account, includeIDToken: false, includeRefreshToken: false)
        response.refreshToken = refreshToken
        return response
    }

    func idToken(for grant: Grant, account: Account, now: Int64) -> IDTokenClaims {
        let scopes = Set(grant.scope.split(separator: " ").map(String.init))
        return IDTokenClaims(
            iss: .init(value: context.issuer), sub: .init(value: account.id), aud: .init(value: [grant.clientID]),
            exp: .init(
                value: Date(
                    timeIntervalSince1970: TimeInterval(now + context.settings.idTokenLifetime.components.seconds))),
            iat: .init(value: Date(timeIntervalSince1970: TimeInterval(now))), authTime: grant.authTime,
            nonce: grant.nonce, sid: grant.id, azp: grant.clientID, preferredUsername: account.username,
            name: scopes.contains("profile") ? account.displayName : nil,
            email: scopes.contains("email") && !account.email.isEmpty ? account.email : nil,
            groups: scopes.contains("groups") ? account.groups : nil)
    }
}
