import Crypto
import CygnetRuntime
import Foundation
import Hummingbird
import Logging

/// The hub as OAuth 2 provider for session servers (contract §5): a browser arriving at `/user/alice/` without the
/// server's cookie is sent here, and comes back to the server with a code the server exchanges for a token.
struct OAuthProvider: Sendable {
    let context: HubContext
    let resolver: IdentityResolver
    let pages: HubPages

    static let codeLifetime: Int64 = 300
    static let tokenLifetime: Int64 = 14 * 86400

    func addRoutes(to api: RouterGroup<HubRequestContext>) {
        api.get("oauth2/authorize") { request, _ in try await authorize(request) }
        api.post("oauth2/token") { request, _ in try await token(request) }
    }

    func authorize(_ request: Request) async throws -> Response {
        let query = URLEncodedForm(encoded: Substring(request.uri.query ?? ""))
        guard let identity = try await resolver.identifyBrowser(request), let user = identity.user else {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            var components = URLComponents()
            components.path = "/hub/login"
            components.queryItems = [URLQueryItem(name: "next", value: next)]
            return Response(status: .found, headers: [.location: components.string!])
        }
        guard query["response_type"] == "code", let clientID = query["client_id"],
            let (client, _) = try await context.tokens.client(id: clientID)
        else {
            return pages.message(
                title: "Unknown session", text: "This link names a session that is not running any more.",
                link: ("Home", "/hub/"), status: .badRequest)
        }
        guard query["redirect_uri"] == client.redirectURI else {
            return pages.message(
                title: "Refused", text: "The session asked to return to an address it did not register.",
                link: ("Home", "/hub/"), status: .badRequest)
        }
        let mayAccess = user.scopes.allows("access:servers", user: client.userName, server: client.serverName)
        guard mayAccess else {
            context.logger.warning(
                "refused access to someone else's session",
                metadata: ["user": "\(user.name)", "owner": "\(client.userName)"])
            return pages.message(
                title: "Not your session",
                text: "This session belongs to someone else; only its owner (or an administrator) may open it.",
                link: ("Your home page", "/hub/"), status: .forbidden)
        }
        if user.name != client.userName {
            context.logger.notice(
                "administrator opened another user's session",
                metadata: ["admin": "\(user.name)", "owner": "\(client.userName)"])
        }
        let challenge = query["code_challenge"]
        if challenge != nil, query["code_challenge_method"] != "S256" {
            return pages.message(
                title: "Refused", text: "Only the S256 code challenge method is supported.", link: ("Home", "/hub/"),
                status: .badRequest)
        }
        let code = SecretDigest.newSecret()
        let scopes =
            client.scopes + ["read:users:name!user=\(user.name)", "read:users:groups!user=\(user.name)"]
        try await context.tokens.createCode(
            code, client: client, user: user.name, scopes: scopes, codeChallenge: challenge,
            sessionDigest: identity.sessionDigest, expiresAt: Timestamps.now() + Self.codeLifetime)
        var components = URLComponents(string: client.redirectURI)!
        components.queryItems =
            [URLQueryItem(name: "code", value: code)]
            + (query["state"].map { [URLQueryItem(name: "state", value: $0)] } ?? [])
        return Response(status: .found, headers: [.location: components.string!, .cacheControl: "no-store"])
    }

    func token(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let form = URLEncodedForm(encoded: Substring(String(buffer: buffer)))
        func fail(_ error: String, _ description: String, status: HTTPResponse.Status = .badRequest) throws -> Response
        {
            try JSONResponse.make(["error": error, "error_description": description], status: status)
        }
        guard form["grant_type"] == "authorization_code" else {
            return try fail("unsupported_grant_type", "only authorization_code is supported")
        }
        guard let clientID = form["client_id"], let (client, digest) = try await context.tokens.client(id: clientID)
        else { return try fail("invalid_client", "unknown client", status: .unauthorized) }
        let secret = form["client_secret"] ?? IdentityResolver.bearerToken(request) ?? ""
        guard SecretDigest.matches(secret, digest: digest) else {
            return try fail("invalid_client", "wrong client secret", status: .unauthorized)
        }
        guard let code = form["code"], let redeemed = try await context.tokens.redeemCode(code, now: Timestamps.now()),
            redeemed.clientID == client.id
        else { return try fail("invalid_grant", "the code is unknown, used or expired") }
        guard form["redirect_uri"] == nil || form["redirect_uri"] == redeemed.redirectURI else {
            return try fail("invalid_grant", "redirect_uri differs from the authorization request")
        }
        if let challenge = redeemed.codeChallenge {
            let verifier = form["code_verifier"] ?? ""
            let computed = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
            guard ConstantTime.equals(computed, challenge) else {
                return try fail("invalid_grant", "the code_verifier does not match the code_challenge")
            }
        }
        let (accessToken, _) = try await context.tokens.issue(
            user: redeemed.userName, scopes: redeemed.scopes, note: "OAuth token for \(client.id)",
            clientID: client.id, sessionDigest: redeemed.sessionDigest, now: Timestamps.now(),
            lifetime: Self.tokenLifetime)
        return try JSONResponse.make([
            "access_token": accessToken, "token_type": "Bearer", "expires_in": Self.tokenLifetime,
            "scope": redeemed.scopes.joined(separator: " "),
        ])
    }
}
