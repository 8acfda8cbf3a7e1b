import CygnetRuntime
import Foundation
import Hummingbird
import Logging
import Metrics

/// The browser side of the authorization code flow: `GET/POST /authorize` shows the login page (or answers at once
/// when the browser already has a sign-in session) and `POST /login` checks the password and sends the code back.
struct AuthorizeController: Sendable {
    let context: AuthContext
    let pages: PageRenderer
    var cookies: BrowserCookies { BrowserCookies(secure: context.secureCookies) }

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        group.get("authorize") { request, requestContext in
            try await authorize(FormParameters(query: request), request: request)
        }
        group.post("authorize") { request, requestContext in
            let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
            return try await authorize(form, request: request)
        }
        group.post("login") { request, requestContext in
            try await login(request: request, requestContext: requestContext)
        }
    }

    func validated(_ parameters: FormParameters) async throws -> Result<AuthorizationRequest, AuthorizationRefusal> {
        var client: RegisteredClient?
        if let clientID = (try? parameters.value("client_id")) ?? nil {
            client = try await context.clients.find(id: clientID)
        }
        do {
            return .success(try AuthorizationRequestValidator.validate(parameters, client: client))
        } catch {
            return .failure(error)
        }
    }

    func authorize(_ parameters: FormParameters, request: Request) async throws -> Response {
        let authorization: AuthorizationRequest
        switch try await validated(parameters) {
        case .failure(let refusal): return refusalResponse(refusal)
        case .success(let value): authorization = value
        }
        if !authorization.prompt.contains("login"), let sessionID = request.cookies[BrowserCookies.session]?.value,
            let session = try await context.sessions.find(id: sessionID, now: AuthContext.now()),
            let account = try await context.accounts.users.find(id: session.userID), !account.isDisabled
        {
            return try await issueCode(authorization, account: account, authTime: session.authTime, status: .found)
        }
        if authorization.prompt.contains("none") {
            return refusalResponse(
                .redirect(
                    to: authorization.redirectURI, error: "login_required", description: "the user is not signed in",
                    state: authorization.state))
        }
        return loginPage(authorization, request: request, username: authorization.loginHint ?? "", error: nil)
    }

    /// The login form; without an authorization request it signs in to cygnet-auth's own account page.
    func loginPage(
        _ authorization: AuthorizationRequest?, request: Request, username: String, error: String?,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let csrf = BrowserCookies.csrfToken(in: request)
        var headers: HTTPFields = [:]
        if csrf.isNew { headers[.setCookie] = cookies.csrfCookie(csrf.token).description }
        var values: [String: Any] = [
            "title": "Sign in", "action": "login",
            "purpose": authorization.map { "\($0.client.name) asks you to sign in." }
                ?? "Sign in to see your Cygnet account.",
            "fields": (authorization?.formFields ?? []).map { ["name": $0.name, "value": $0.value] },
            "csrfToken": csrf.token,
        ]
        if !username.isEmpty { values["username"] = username }
        if let error { values["error"] = error }
        return pages.render("login", values, status: status, headers: headers)
    }

    func login(request: Request, requestContext: AuthRequestContext) async throws -> Response {
        let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
        var authorization: AuthorizationRequest?
        if (try? form.value("client_id")) != nil {
            switch try await validated(form) {
            case .failure(let refusal): return refusalResponse(refusal)
            case .success(let value): authorization = value
            }
        }
        let username = ((try? form.value("username")) ?? nil)?.trimmingWhitespace().lowercased() ?? ""
        let password = ((try? form.value("password")) ?? nil) ?? ""
        guard BrowserCookies.csrfMatches(request: request, formValue: try? form.value("csrf_token")) else {
            return loginPage(
                authorization, request: request, username: username,
                error:
                    "This sign-in form has expired or was opened in another browser. Please enter your password again.",
                status: .forbidden)
        }
        let address = request.clientAddress(context: requestContext)
        if let wait = await context.throttle.waitTime(account: username, address: address) {
            Counter(label: "cygnet_auth_logins_total", dimensions: [("result", "throttled")]).increment()
            return loginPage(
                authorization, request: request, username: username,
                error: "Too many attempts. Try again in \(Int(wait.components.seconds) + 1) seconds.",
                status: .tooManyRequests)
        }
        guard let account = try await checkPassword(username: username, password: password, address: address) else {
            return loginPage(
                authorization, request: request, username: username,
                error: "The username or password is not right. Check them and try again.", status: .unauthorized)
        }
        let now = AuthContext.now()
        let sessionID = SecretDigest.newSecret()
        try await context.sessions.create(
            id: sessionID, userID: account.id, authTime: now,
            expiresAt: now + context.settings.loginSessionLifetime.components.seconds)
        var response =
            if let authorization {
                try await issueCode(authorization, account: account, authTime: now, status: .seeOther)
            } else {
                Response(status: .seeOther, headers: [.location: "/auth/", .cacheControl: "no-store"])
            }
        response.setCookie(cookies.sessionCookie(sessionID, lifetime: context.settings.loginSessionLifetime))
        return response
    }

    /// Checks the password; records failures for throttling. Unknown users cost the same time as known ones.
    func checkPassword(username: String, password: String, address: String) async throws -> Account? {
        let credentials = try await context.accounts.users.credentials(username: username)
        let hasher = context.accounts.hasher
        let matches =
            if let hash = credentials?.1 {
                try await hasher.verify(password, against: hash)
            } else {
                try await hasher.verifyWithoutAccount(password)
            }
        guard matches, let (account, _) = credentials, !account.isDisabled else {
            await context.throttle.recordFailure(account: username, address: address)
            Counter(label: "cygnet_auth_logins_total", dimensions: [("result", "failure")]).increment()
            context.logger.notice("login failed", metadata: ["user": "\(username)", "address": "\(address)"])
            return nil
        }
        await context.throttle.recordSuccess(account: username)
        if let hash = credentials?.1, hasher.needsRehash(hash) {
            // The configured cost went up since this password was stored; upgrade it while we know the password.
            try? await context.accounts.setPassword(username: username, password: password)
        }
        Counter(label: "cygnet_auth_logins_total", dimensions: [("result", "success")]).increment()
        context.logger.info("login", metadata: ["user": "\(username)"])
        return account
    }

    func issueCode(
        _ authorization: AuthorizationRequest, account: Account, authTime: Int64, status: HTTPResponse.Status
    )
        async throws -> Response
    {
        var scopes = authorization.scopes
        if scopes.contains(RegisteredClient.adminScope), !account.isAdmin {
            scopes.removeAll { $0 == RegisteredClient.adminScope }
        }
        let now = AuthContext.now()
        let grant = Grant(
            id: UUID().uuidString.lowercased(), userID: account.id, clientID: authorization.client.id,
            scope: scopes.joined(separator: " "), nonce: authorization.nonce, authTime: authTime, revoked: false)
        try await context.grants.createGrant(grant, now: now)
        let code = SecretDigest.newSecret()
        try await context.grants.createCode(
            code, grantID: grant.id, redirectURI: authorization.redirectURI, codeChallenge: authorization.codeChallenge,
            expiresAt: now + context.settings.authorizationCodeLifetime.components.seconds)
        let location = AuthorizationRequestValidator.redirect(
            authorization.redirectURI, with: [("code", code), ("state", authorization.state), ("iss", context.issuer)])
        return Response(status: status, headers: [.location: location, .cacheControl: "no-store"])
    }

    func refusalResponse(_ refusal: AuthorizationRefusal) -> Response {
        switch refusal {
        case .untrusted(let text):
            return pages.message(
                title: "This sign-in link does not work", text: text,
                hint: "Go back to the application and try again. If it keeps happening, tell its administrator.",
                isError: true, status: .badRequest)
        case .redirect(let uri, let error, let description, let state):
            let location = AuthorizationRequestValidator.redirect(
                uri,
                with: [("error", error), ("error_description", description), ("state", state), ("iss", context.issuer)])
            return Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
        }
    }
}
