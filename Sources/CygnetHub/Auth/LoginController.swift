import AsyncHTTPClient
import Crypto
import CygnetRuntime
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Signs people in through cygnet-auth (authorization code + PKCE, the hub as a confidential client), keeps them
/// signed in with the hub's session cookie, and signs them out of both.
struct LoginController: Sendable {
    let context: HubContext
    let pages: HubPages

    static let loginCookie = "cygnet-hub-login"
    static let sessionLifetime: Int64 = 12 * 3600

    var issuer: String { context.appliance.publicURL + "/auth" }
    var callbackURL: String { context.appliance.publicURL + "/hub/oauth_callback" }

    func addRoutes(to hub: RouterGroup<HubRequestContext>) {
        hub.get("login") { request, _ in try login(request) }
        hub.get("oauth_callback") { request, _ in try await callback(request) }
        hub.get("logout") { request, _ in try await logout(request) }
    }

    func login(_ request: Request) throws -> Response {
        let query = URLEncodedForm(encoded: Substring(request.uri.query ?? ""))
        let next = Self.safeNext(query["next"]) ?? "/hub/"
        let state = SecretDigest.newSecret()
        let verifier = SecretDigest.newSecret() + SecretDigest.newSecret()
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        var components = URLComponents(string: issuer + "/authorize")!
        components.queryItems = [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: context.settings.clientID),
            URLQueryItem(name: "redirect_uri", value: callbackURL),
            URLQueryItem(name: "scope", value: "openid profile groups cygnet:admin"),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "code_challenge", value: challenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        let nextEncoded = Data(next.utf8).base64URLEncodedString()
        var response = Response(status: .found, headers: [.location: components.string!, .cacheControl: "no-store"])
        response.setCookie(
            Cookie(
                name: Self.loginCookie, value: "\(state).\(verifier).\(nextEncoded)", maxAge: 600, path: "/hub/",
                secure: context.isSecure, httpOnly: true, sameSite: .lax))
        return response
    }

    func callback(_ request: Request) async throws -> Response {
        let query = URLEncodedForm(encoded: Substring(request.uri.query ?? ""))
        let parts = (request.cookies[Self.loginCookie]?.value ?? "").split(separator: ".").map(String.init)
        guard parts.count == 3, let state = query["state"], ConstantTime.equals(state, parts[0]) else {
            return pages.message(
                title: "Sign-in did not complete",
                text: "This sign-in link is old or was opened in another browser. Please sign in again.",
                link: ("Sign in", "/hub/login"), status: .badRequest)
        }
        if let error = query["error"] {
            return pages.message(
                title: "Sign-in did not complete",
                text: "The sign-in service answered: \(query["error_description"] ?? error).",
                link: ("Try again", "/hub/login"), status: .badRequest)
        }
        guard let code = query["code"] else {
            return pages.message(
                title: "Sign-in did not complete", text: "The sign-in service sent no code.",
                link: ("Try again", "/hub/login"), status: .badRequest)
        }
        let next = Data(base64URLEncoded: parts[2]).flatMap { String(data: $0, encoding: .utf8) }
        let signedIn: SignedIn
        do {
            signedIn = try await redeem(code: code, verifier: parts[1])
        } catch {
            context.logger.warning("sign-in failed", metadata: ["error": "\(error)"])
            return pages.message(
                title: "Sign-in did not complete",
                text: "Cygnet could not confirm your sign-in with the sign-in service. Please try again.",
                link: ("Sign in", "/hub/login"), status: .badGateway)
        }
        let user = try await context.users.upsert(
            name: signedIn.username, isAdmin: signedIn.isAdmin, groups: signedIn.groups, now: Timestamps.now())
        let sessionID = SecretDigest.newSecret()
        let now = Timestamps.now()
        try await context.users.createSession(
            id: sessionID, user: user.name, idToken: signedIn.idToken, now: now, expiresAt: now + Self.sessionLifetime)
        context.logger.info("signed in", metadata: ["user": "\(user.name)", "admin": "\(user.isAdmin)"])
        var response = Response(
            status: .found, headers: [.location: Self.safeNext(next) ?? "/hub/", .cacheControl: "no-store"])
        response.setCookie(
            Cookie(
                name: IdentityResolver.sessionCookie, value: sessionID, maxAge: Int(Self.sessionLifetime), path: "/",
                secure: context.isSecure, httpOnly: true, sameSite: .lax))
        response.setCookie(
            Cookie(
                name: Self.loginCookie, value: "", maxAge: 0, path: "/hub/", secure: context.isSecure, httpOnly: true))
        return response
    }

    struct SignedIn {
        var username: String
        var groups: [String]
        var isAdmin: Bool
        var idToken: String
    }

    /// Exchanges the code at cygnet-auth's token endpoint (directly, not through the browser) and reads the user.
    func redeem(code: String, verifier: String) async throws -> SignedIn {
        let request = TokenEndpointRequest.make(
            settings: context.settings,
            form: [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", callbackURL),
                ("code_verifier", verifier),
            ])
        let tokens = try await json(request)
        guard let accessToken = tokens["access_token"] as? String, let idToken = tokens["id_token"] as? String else {
            throw HubAPIError(.badGateway, "the token endpoint answered without tokens: \(tokens["error"] ?? "")")
        }
        let scopes = (tokens["scope"] as? String ?? "").split(separator: " ").map(String.init)
        var info = HTTPClientRequest(url: context.settings.authInternalURL + "/userinfo")
        info.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        let claims = try await json(info)
        guard let username = claims["preferred_username"] as? String else {
            throw HubAPIError(.badGateway, "userinfo carried no preferred_username")
        }
        return SignedIn(
            username: username, groups: claims["groups"] as? [String] ?? [], isAdmin: scopes.contains("cygnet:admin"),
            idToken: idToken)
    }

    func json(_ request: HTTPClientRequest) async throws -> [String: Any] {
        let response = try await context.httpClient.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw HubAPIError(.badGateway, "cygnet-auth answered \(response.status.code) without JSON")
        }
        guard response.status == .ok else {
            throw HubAPIError(.badGateway, "cygnet-auth answered \(response.status.code): \(object)")
        }
        return object
    }

    /// Ends the hub session (and the tokens it gave session servers), then signs out of cygnet-auth too.
    func logout(_ request: Request) async throws -> Response {
        var idToken: String?
        if let cookie = request.cookies[IdentityResolver.sessionCookie]?.value, !cookie.isEmpty {
            idToken = try await context.users.session(id: cookie, now: Timestamps.now())?.idToken
            try await context.users.endSession(id: cookie)
        }
        var location = "/hub/"
        if let idToken {
            var components = URLComponents(string: issuer + "/logout")!
            components.queryItems = [
                URLQueryItem(name: "id_token_hint", value: idToken),
                URLQueryItem(name: "post_logout_redirect_uri", value: context.appliance.publicURL + "/hub/"),
            ]
            location = components.string!
        }
        var response = Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
        response.setCookie(
            Cookie(
                name: IdentityResolver.sessionCookie, value: "", maxAge: 0, path: "/", secure: context.isSecure,
                httpOnly: true, sameSite: .lax))
        return response
    }

    /// Only paths on this site: `/hub/...` or `/user/...`, never `//evil.example` or `https://…`.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
            !next.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return nil }
        return next
    }
}
