public import JWTKit

/// The claims of an access token issued by cygnet-auth (a JWT, RFC 9068 style) and checked by every other service.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var sub: SubjectClaim
    public var aud: AudienceClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim
    /// Space-separated scopes, as in OAuth 2.
    public var scope: String
    public var clientID: String
    public var preferredUsername: String?
    public var groups: [String]?
    /// The grant (login or client-credentials issue) the token belongs to; revoking the grant revokes the token.
    public var grantID: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti, scope, groups
        case clientID = "client_id"
        case preferredUsername = "preferred_username"
        case grantID = "grant_id"
    }

    public init(
        issuer: String, subject: String, audience: [String], expires: Date, issuedAt: Date, id: String,
        scope: String, clientID: String, username: String?, groups: [String]?, grantID: String?
    ) {
        iss = .init(value: issuer)
        sub = .init(value: subject)
        aud = .init(value: audience)
        exp = .init(value: expires)
        iat = .init(value: issuedAt)
        jti = .init(value: id)
        self.scope = scope
        self.clientID = clientID
        preferredUsername = username
        self.groups = groups
        self.grantID = grantID
    }

    public var scopes: Set<String> { Set(scope.split(separator: " ").map(String.init)) }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif
