public import AsyncHTTPClient
public import Foundation
import JWTKit
public import Logging
import NIOCore
import NIOHTTP1

/// Accepts access tokens from cygnet-auth in any other service: fetches the issuer's JWKS (cached, and fetched
/// again when a token names a key it has not seen, at most once per `refetchInterval`), then checks signature,
/// issuer, audience, expiry and scopes.
public actor TokenVerifier {
    public let issuer: String
    public let audience: String
    private let jwksURL: String
    private let httpClient: HTTPClient
    private let refetchInterval: Duration
    private let logger: Logger
    private var keys = JWTKeyCollection()
    private var knownKeyIDs: Set<String> = []
    private var lastFetch: ContinuousClock.Instant?

    public init(
        issuer: String, audience: String, jwksURL: String? = nil, httpClient: HTTPClient = .shared,
        refetchInterval: Duration = .seconds(30), logger: Logger
    ) {
        self.issuer = issuer
        self.audience = audience
        self.jwksURL = jwksURL ?? issuer + "/jwks"
        self.httpClient = httpClient
        self.refetchInterval = refetchInterval
        self.logger = logger
    }

    /// Verifies `token` and returns its claims; throws `TokenVerificationError` saying what was wrong.
    public func verify(_ token: String, requiring scopes: Set<String> = []) async throws(TokenVerificationError)
        -> AccessTokenClaims
    {
        let keyID = Self.keyID(of: token)
        guard let keyID else { throw .init(.invalidToken, "the token is not a signed JWT with a key id") }
        if !knownKeyIDs.contains(keyID) { await refreshKeys() }
        guard knownKeyIDs.contains(keyID) else {
            throw .init(.invalidToken, "the token was signed with a key the issuer does not publish")
        }
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .init(.invalidToken, "the token signature or expiry is not valid")
        }
        guard claims.iss.value == issuer else { throw .init(.invalidToken, "the token was issued by someone else") }
        guard claims.aud.value.contains(audience) else {
            throw .init(.invalidToken, "the token is not meant for this service")
        }
        let missing = scopes.subtracting(claims.scopes)
        guard missing.isEmpty else {
            throw .init(.insufficientScope, "the token lacks the scope \(missing.sorted().joined(separator: " "))")
        }
        return claims
    }

    private func refreshKeys() async {
        let now = ContinuousClock.now
        if let lastFetch, now - lastFetch < refetchInterval { return }
        lastFetch = now
        do {
            let response = try await httpClient.execute(HTTPClientRequest(url: jwksURL), timeout: .seconds(10))
            guard response.status == .ok else {
                logger.warning(
                    "JWKS fetch failed", metadata: ["status": "\(response.status.code)", "url": "\(jwksURL)"])
                return
            }
            let body = try await response.body.collect(upTo: 1 << 20)
            let json = String(buffer: body)
            let fresh = JWTKeyCollection()
            try await fresh.add(jwksJSON: json)
            let jwks = try JSONDecoder().decode(JWKS.self, from: Data(json.utf8))
            keys = fresh
            knownKeyIDs = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
        } catch {
            logger.warning("JWKS fetch failed", metadata: ["error": "\(error)", "url": "\(jwksURL)"])
        }
    }

    /// The `kid` of a compact JWS without verifying it (only used to pick a key).
    static func keyID(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Data(base64URLEncoded: String(parts[0])),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }
}

extension Data {
    /// Decodes unpadded base64url (RFC 4648 §5), as used in JWTs.
    public init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }

    /// Unpadded base64url (RFC 4648 §5).
    public func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
