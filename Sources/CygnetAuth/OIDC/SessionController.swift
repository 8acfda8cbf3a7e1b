import CygnetRuntime
import Foundation
import Hummingbird
import JWTKit

/// The browser session of cygnet-auth: the account page at `/auth/` and RP-initiated logout
/// (OpenID Connect RP-Initiated Logout 1.0) at `/auth/logout`.
struct SessionController: Sendable {
    let context: AuthContext
    let pages: PageRenderer
    var cookies: BrowserCookies { BrowserCookies(secure: context.secureCookies) }

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        group.get("") { request, _ in try await accountPage(request) }
        group.get("logout") { request, _ in try await logout(request, form: FormParameters(query: request)) }
        group.post("logout") { request, _ in
            let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
            return try await logout(request, form: form)
        }
    }

    func accountPage(_ request: Request) async throws -> Response {
        guard let sessionID = request.cookies[BrowserCookies.session]?.value,
            let session = try await context.sessions.find(id: sessionID, now: AuthContext.now()),
            let account = try await context.accounts.users.find(id: session.userID)
        else {
            return AuthorizeController(context: context, pages: pages).loginPage(
                nil, request: request, username: "", error: nil)
        }
        let csrf = BrowserCookies.csrfToken(in: request)
        var headers: HTTPFields = [:]
        if csrf.isNew { headers[.setCookie] = cookies.csrfCookie(csrf.token).description }
        let role = account.isAdmin ? " You are an administrator: manage people with 'cygnet users' on the server." : ""
        let groups = account.groups.isEmpty ? "" : " Your groups: \(account.groups.joined(separator: ", "))."
        return pages.message(
            title: "Your Cygnet account",
            text:
                "You are signed in as \(account.displayName.isEmpty ? account.username : account.displayName) (\(account.username)).\(groups)\(role)",
            hint: "Notebooks, files and software arrive here with the next parts of Cygnet (see the README).",
            signOutAction: "logout", csrfToken: csrf.token, headers: headers)
    }

    func logout(_ request: Request, form: FormParameters) async throws -> Response {
        let hint = try form.value("id_token_hint")
        let hintClaims = await hint.asyncMap { try? await context.keys.verify($0, as: ExpiredIDToken.self) } ?? nil
        if hint != nil, hintClaims == nil || hintClaims?.iss != context.issuer {
            return pages.message(
                title: "Sign-out link not accepted",
                text: "The application sent an id_token_hint Cygnet did not issue.",
                isError: true, status: .badRequest)
        }
        let clientID = try form.value("client_id") ?? hintClaims?.aud.first
        let postLogout = try form.value("post_logout_redirect_uri")
        var target: String?
        if let postLogout {
            guard let clientID, let client = try await context.clients.find(id: clientID),
                client.postLogoutRedirectURIs.contains(postLogout)
            else {
                return pages.message(
                    title: "Sign-out link not accepted",
                    text:
                        "The application asked to return to an address it has not registered, so Cygnet will not send you there.",
                    isError: true, status: .badRequest)
            }
            target = AuthorizationRequestValidator.redirect(postLogout, with: [("state", try form.value("state"))])
        }
        // A GET without a hint could be a forged link; ask the person before ending their session.
        let confirmed =
            request.method == .post
            && BrowserCookies.csrfMatches(request: request, formValue: try? form.value("csrf_token"))
        guard hintClaims != nil || confirmed else {
            return try await accountPage(request)
        }
        if let sessionID = request.cookies[BrowserCookies.session]?.value {
            try await context.sessions.delete(id: sessionID)
        }
        if let sid = hintClaims?.sid { try await context.grants.revoke(grantID: sid, now: AuthContext.now()) }
        var response =
            target.map { Response(status: .found, headers: [.location: $0, .cacheControl: "no-store"]) }
            ?? pages.message(title: "Signed out", text: "You are signed out of Cygnet.")
        response.setCookie(cookies.expiredSession())
        return response
    }
}

/// The claims of an ID token used as a logout hint; an expired hint is still acceptable (OIDC RP-Initiated Logout §2).
struct ExpiredIDToken: JWTPayload {
    var iss: String
    var aud: [String]
    var sid: String?

    enum CodingKeys: String, CodingKey { case iss, aud, sid }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        if let single = try? container.decode(String.self, forKey: .aud) {
            aud = [single]
        } else {
            aud = try container.decode([String].self, forKey: .aud)
        }
        sid = try container.decodeIfPresent(String.self, forKey: .sid)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
