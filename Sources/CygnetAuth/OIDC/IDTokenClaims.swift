import Foundation
public import JWTKit

/// The claims of an OpenID Connect ID token (OIDC Core §2), plus `groups` for classes.
public struct IDTokenClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var sub: SubjectClaim
    public var aud: AudienceClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var authTime: Int64
    public var nonce: String?
    public var sid: String?
    public var azp: String
    public var preferredUsername: String?
    public var name: String?
    public var email: String?
    public var groups: [String]?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, sid, azp, name, email, groups
        case authTime = "auth_time"
        case preferredUsername = "preferred_username"
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
