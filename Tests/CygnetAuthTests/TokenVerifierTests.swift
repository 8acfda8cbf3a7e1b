import CygnetAuth
import CygnetRuntime
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite("TokenVerifier, as another service uses it against a live cygnet-auth")
struct TokenVerifierTests {
    @Test func verifiesIssuerAudienceAndScopesFromTheLiveJWKS() async throws {
        let (appliance, settings) = try AuthTestHarness.settings()
        defer { try? FileManager.default.removeItem(atPath: appliance.stateDirectory) }
        let logger = Logger(label: "test")
        try await SQLStore.withStore(appliance.database, logger: logger) { store in
            let context = AuthContext(appliance: appliance, settings: settings, store: store, logger: logger)
            try await AuthServer.prepare(context: context, store: store)
            let app = Application(
                router: try AuthServer.router(context: context, observability: Observability(), store: store),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                let (_, json) = try await TokenEndpointsTests.post(
                    client, "/auth/token", ["grant_type": "client_credentials", "scope": "profile"])
                let token = try #require(json["access_token"] as? String)
                let port = try #require(client.port)
                let verifier = TokenVerifier(
                    issuer: context.issuer, audience: "cygnet",
                    jwksURL: "http://127.0.0.1:\(port)/auth/jwks", logger: logger)
                let claims = try await verifier.verify(token, requiring: ["profile"])
                #expect(claims.clientID == AuthTestHarness.confidentialClient)
                await #expect(throws: TokenVerificationError.self) {
                    _ = try await verifier.verify(token, requiring: ["cygnet:admin"])
                }
                let otherAudience = TokenVerifier(
                    issuer: context.issuer, audience: "someone-else",
                    jwksURL: "http://127.0.0.1:\(port)/auth/jwks", logger: logger)
                await #expect(throws: TokenVerificationError.self) { _ = try await otherAudience.verify(token) }
                let tampered = String(token.dropLast(3)) + (token.hasSuffix("AAA") ? "BBB" : "AAA")
                await #expect(throws: TokenVerificationError.self) { _ = try await verifier.verify(tampered) }
                await #expect(throws: TokenVerificationError.self) { _ = try await verifier.verify("not.a.jwt") }
            }
        }
    }
}
