import CygnetAuth
import CygnetRuntime
import Foundation
import JWTKit
import Logging
import Testing

@Suite("Signing keys: persisted, rotated with overlap")
struct SigningKeyRingTests {
    static func withStore<R: Sendable>(_ body: @Sendable (SQLStore) async throws -> R) async throws -> R {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await SQLStore.withStore(.sqlite(path: path), logger: Logger(label: "test")) { store in
            try await AuthSchema.migrate(store)
            return try await body(store)
        }
    }

    static func ring(_ store: SQLStore) -> SigningKeyRing {
        SigningKeyRing(
            store: SigningKeyStore(store: store), rotationInterval: .seconds(1000), overlap: .seconds(500),
            logger: Logger(label: "test"))
    }

    static func keyIDs(_ ring: SigningKeyRing) async throws -> [String] {
        let json = await ring.jwksJSON
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [[String: String]]]
        return (object?["keys"] ?? []).compactMap { $0["kid"] }
    }

    @Test func idTokensAreSignedWithRS256AndAccessTokensWithES256() async throws {
        try await Self.withStore { store in
            let ring = Self.ring(store)
            try await ring.refresh(now: 1_000_000)
            let claims = AccessTokenClaims(
                issuer: "i", subject: "s", audience: ["a"], expires: .distantFuture, issuedAt: .now, id: "1",
                scope: "openid", clientID: "c", username: nil, groups: nil, grantID: nil)
            for (algorithm, name) in [(SigningKeyRing.Algorithm.es256, "ES256"), (.rs256, "RS256")] {
                let token = try await ring.sign(claims, algorithm: algorithm)
                let header = try #require(Data(base64URLEncoded: String(token.split(separator: ".")[0])))
                let fields = try JSONSerialization.jsonObject(with: header) as? [String: Any]
                #expect(fields?["alg"] as? String == name)
                _ = try await ring.verify(token, as: AccessTokenClaims.self)
            }
        }
    }

    @Test func rotationKeepsTheOldKeyPublishedUntilTheOverlapEnds() async throws {
        try await Self.withStore { store in
            let ring = Self.ring(store)
            let start: Int64 = 1_000_000
            try await ring.refresh(now: start)
            let claims = AccessTokenClaims(
                issuer: "i", subject: "s", audience: ["a"], expires: .distantFuture, issuedAt: .now, id: "1",
                scope: "openid", clientID: "c", username: nil, groups: nil, grantID: nil)
            let oldToken = try await ring.sign(claims)
            #expect(try await Self.keyIDs(ring).count == 2, "one ES256 and one RS256 key")

            try await ring.refresh(now: start + 1000)
            #expect(try await Self.keyIDs(ring).count == 4, "old and new keys of both algorithms are published")
            _ = try await ring.verify(oldToken, as: AccessTokenClaims.self)

            let restarted = Self.ring(store)
            try await restarted.refresh(now: start + 1200)
            _ = try await restarted.verify(oldToken, as: AccessTokenClaims.self)
            #expect(try await Self.keyIDs(restarted).count == 4, "keys survive a restart")

            try await restarted.refresh(now: start + 1600)
            #expect(try await Self.keyIDs(restarted).count == 2, "the old keys retire after the overlap")
            await #expect(throws: (any Error).self) {
                _ = try await restarted.verify(oldToken, as: AccessTokenClaims.self)
            }
        }
    }
}
