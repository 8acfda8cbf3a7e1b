import Foundation
import Hummingbird

/// OpenID Provider metadata (OIDC Discovery 1.0, RFC 8414) and the JWKS.
struct DiscoveryController: Sendable {
    let context: AuthContext

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        let document = Self.document(issuer: context.issuer)
        group.get(".well-known/openid-configuration") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
        group.get("jwks") { _, _ in
            let jwks = await context.keys.jwksJSON
            return Response(
                status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: jwks)))
        }
    }

    static func document(issuer: String) -> Data {
        let metadata: [String: Any] = [
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "userinfo_endpoint": issuer + "/userinfo",
            "jwks_uri": issuer + "/jwks",
            "revocation_endpoint": issuer + "/revoke",
            "introspection_endpoint": issuer + "/introspect",
            "end_session_endpoint": issuer + "/logout",
            "scopes_supported": RegisteredClient.defaultScopes + [RegisteredClient.adminScope],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "preferred_username", "name", "email",
                "groups",
            ],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
        ]
        return (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
    }
}
