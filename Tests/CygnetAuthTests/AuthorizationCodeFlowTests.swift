import CygnetAuth
import CygnetRuntime
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

@Suite("Authorization code flow, in process")
struct AuthorizationCodeFlowTests {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough"

    static func authorizeURI(client: String = AuthTestHarness.publicClient, extra: String = "") -> String {
        let challenge = PKCE.challenge(for: verifier)
        return
            "/auth/authorize?response_type=code&client_id=\(client)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback"
            + "&scope=openid%20profile%20groups%20offline_access&state=s1&nonce=n1&code_challenge=\(challenge)&code_challenge_method=S256"
            + extra
    }

    /// Opens the login page, posts the password, returns the redirect's query.
    static func login(
        _ client: any TestClientProtocol, browser: inout ScriptedBrowser, uri: String = authorizeURI(),
        password: String = AuthTestHarness.password
    ) async throws -> (status: HTTPResponse.Status, query: [String: String], body: String) {
        let page = try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader)
        browser.remember(page)
        #expect(page.status == .ok)
        var fields = ScriptedBrowser.hiddenFields(String(buffer: page.body))
        fields["username"] = "ada"
        fields["password"] = password
        var headers = browser.cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        let answer = try await client.execute(
            uri: "/auth/login", method: .post, headers: headers, body: ScriptedBrowser.form(fields))
        browser.remember(answer)
        return (answer.status, ScriptedBrowser.query(of: answer.headers[.location] ?? ""), String(buffer: answer.body))
    }

    static func token(_ client: any TestClientProtocol, _ fields: [String: String]) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        let response = try await client.execute(
            uri: "/auth/token", method: .post, headers: ScriptedBrowser.formHeaders, body: ScriptedBrowser.form(fields))
        let json =
            try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    static func exchange(_ client: any TestClientProtocol, code: String, verifier: String? = verifier) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        var fields = [
            "grant_type": "authorization_code", "code": code, "client_id": AuthTestHarness.publicClient,
            "redirect_uri": AuthTestHarness.redirect,
        ]
        fields["code_verifier"] = verifier
        return try await token(client, fields)
    }

    @Test(arguments: AuthTestHarness.databases)
    func publicClientGetsTokensRefreshesAndDetectsReplay(database: String) async throws {
        try await AuthTestHarness.withServer(database: database) { client, context in
            var browser = ScriptedBrowser()
            let login = try await Self.login(client, browser: &browser)
            #expect(login.status == .seeOther)
            #expect(login.query["state"] == "s1")
            #expect(login.query["iss"] == context.issuer)
            let code = try #require(login.query["code"])
            let (status, tokens) = try await Self.exchange(client, code: code)
            #expect(status == .ok)
            let idToken = try #require(tokens["id_token"] as? String)
            let claims = try await context.keys.verify(idToken, as: IDTokenClaims.self)
            #expect(claims.nonce == "n1")
            #expect(claims.aud.value == [AuthTestHarness.publicClient])
            #expect(claims.groups == ["physics-1"])
            let refresh = try #require(tokens["refresh_token"] as? String)

            let refreshFields = [
                "grant_type": "refresh_token", "refresh_token": refresh, "client_id": AuthTestHarness.publicClient,
            ]
            let (refreshed, newTokens) = try await Self.token(client, refreshFields)
            #expect(refreshed == .ok)
            let newRefresh = try #require(newTokens["refresh_token"] as? String)
            #expect(newRefresh != refresh)

            let (replayed, replayError) = try await Self.token(client, refreshFields)
            #expect(replayed == .badRequest)
            #expect(replayError["error"] as? String == "invalid_grant")
            var rotatedFields = refreshFields
            rotatedFields["refresh_token"] = newRefresh
            let (familyRevoked, _) = try await Self.token(client, rotatedFields)
            #expect(familyRevoked == .badRequest, "a replay revokes the newer refresh token too")
        }
    }

    @Test(arguments: AuthTestHarness.databases)
    func reusedCodeRevokesTheTokensIssuedFromIt(database: String) async throws {
        try await AuthTestHarness.withServer(database: database) { client, _ in
            var browser = ScriptedBrowser()
            let code = try #require(try await Self.login(client, browser: &browser).query["code"])
            let (first, tokens) = try await Self.exchange(client, code: code)
            #expect(first == .ok)
            let (second, error) = try await Self.exchange(client, code: code)
            #expect(second == .badRequest)
            #expect(error["error"] as? String == "invalid_grant")
            let access = try #require(tokens["access_token"] as? String)
            let userinfo = try await client.execute(
                uri: "/auth/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(userinfo.status == .unauthorized)
        }
    }

    @Test func wrongOrMissingVerifierIsRefused() async throws {
        try await AuthTestHarness.withServer { client, _ in
            var browser = ScriptedBrowser()
            let code = try #require(try await Self.login(client, browser: &browser).query["code"])
            let (wrong, _) = try await Self.exchange(client, code: code, verifier: String(repeating: "a", count: 50))
            #expect(wrong == .badRequest)
            var secondBrowser = ScriptedBrowser()
            let codeTwo = try #require(try await Self.login(client, browser: &secondBrowser).query["code"])
            let (missing, error) = try await Self.exchange(client, code: codeTwo, verifier: nil)
            #expect(missing == .badRequest)
            #expect(error["error_description"] as? String == "code_verifier is missing")
        }
    }

    @Test func expiredCodeIsRefused() async throws {
        try await AuthTestHarness.withServer { client, context in
            var browser = ScriptedBrowser()
            let code = try #require(try await Self.login(client, browser: &browser).query["code"])
            let (status, error) = try await Self.exchangeAfterExpiry(client, context: context, code: code)
            #expect(status == .badRequest)
            #expect((error["error_description"] as? String)?.contains("expired") == true)
        }
    }

    static func exchangeAfterExpiry(_ client: any TestClientProtocol, context: AuthContext, code: String) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        try await context.grants.expireCodeForTesting(code)
        return try await exchange(client, code: code)
    }

    @Test(arguments: [
        "http://127.0.0.1:9999/callback/", "http://127.0.0.1:9998/callback", "http://127.0.0.1:9999/callback/x",
        "http://LOCALHOST:9999/callback", "http://127.0.0.1:9999/callback?x=1", "https://evil.example/callback",
    ])
    func nearMissRedirectURIsNeverRedirect(uri: String) async throws {
        try await AuthTestHarness.withServer { client, _ in
            let encoded = uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let response = try await client.execute(
                uri:
                    "/auth/authorize?response_type=code&client_id=\(AuthTestHarness.publicClient)&redirect_uri=\(encoded)",
                method: .get)
            #expect(response.status == .badRequest)
            #expect(response.headers[.location] == nil)
        }
    }

    @Test func signedInBrowserGetsACodeWithoutTheForm() async throws {
        try await AuthTestHarness.withServer { client, _ in
            var browser = ScriptedBrowser()
            _ = try await Self.login(client, browser: &browser)
            let again = try await client.execute(uri: Self.authorizeURI(), method: .get, headers: browser.cookieHeader)
            #expect(again.status == .found)
            #expect(ScriptedBrowser.query(of: again.headers[.location] ?? "")["code"] != nil)
            let forced = try await client.execute(
                uri: Self.authorizeURI(extra: "&prompt=login"), method: .get, headers: browser.cookieHeader)
            #expect(forced.status == .ok, "prompt=login shows the form even with a session")
        }
    }

    @Test func accountPageSignsInWithoutAnApplication() async throws {
        try await AuthTestHarness.withServer { client, _ in
            var browser = ScriptedBrowser()
            let (status, query, _) = try await Self.login(client, browser: &browser, uri: "/auth/")
            #expect(status == .seeOther)
            #expect(query.isEmpty)
            let page = try await client.execute(uri: "/auth/", method: .get, headers: browser.cookieHeader)
            #expect(String(buffer: page.body).contains("You are signed in as Ada Lovelace (ada)"))
        }
    }

    @Test func unknownClientGetsAnErrorPage() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let response = try await client.execute(
                uri:
                    "/auth/authorize?response_type=code&client_id=nobody&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback",
                method: .get)
            #expect(response.status == .badRequest)
            #expect(response.headers[.location] == nil)
        }
    }

    @Test func publicClientWithoutPKCEOrWithPlainIsSentBackAnError() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let base =
                "/auth/authorize?response_type=code&client_id=\(AuthTestHarness.publicClient)"
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback&state=s"
            let missing = try await client.execute(uri: base, method: .get)
            #expect(missing.status == .found)
            #expect(ScriptedBrowser.query(of: missing.headers[.location] ?? "")["error"] == "invalid_request")
            let plain = try await client.execute(
                uri: base + "&code_challenge=\(String(repeating: "a", count: 43))&code_challenge_method=plain",
                method: .get)
            #expect(ScriptedBrowser.query(of: plain.headers[.location] ?? "")["error"] == "invalid_request")
        }
    }

    @Test func wrongPasswordShowsTheFormAgainAndThrottlesTheAccountOnly() async throws {
        try await AuthTestHarness.withServer(extra: ["auth.throttle.account_failures": "3"]) { client, context in
            var browser = ScriptedBrowser()
            for _ in 0..<3 {
                let attempt = try await Self.login(client, browser: &browser, password: "wrong password")
                #expect(attempt.status == .unauthorized)
                #expect(attempt.body.contains("not right"))
            }
            let locked = try await Self.login(client, browser: &browser)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.body.contains("Too many attempts"))
            _ = try await context.accounts.add(NewAccount(username: "grace", password: "another password"))
            let page = try await client.execute(uri: Self.authorizeURI(), method: .get, headers: browser.cookieHeader)
            var fields = ScriptedBrowser.hiddenFields(String(buffer: page.body))
            fields["username"] = "grace"
            fields["password"] = "another password"
            var headers = browser.cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            let other = try await client.execute(
                uri: "/auth/login", method: .post, headers: headers, body: ScriptedBrowser.form(fields))
            #expect(other.status == .seeOther, "another account from the same address still signs in")
        }
    }

    @Test func loginWithoutTheCSRFCookieIsRefused() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let page = try await client.execute(uri: Self.authorizeURI(), method: .get)
            var fields = ScriptedBrowser.hiddenFields(String(buffer: page.body))
            fields["username"] = "ada"
            fields["password"] = AuthTestHarness.password
            let response = try await client.execute(
                uri: "/auth/login", method: .post, headers: ScriptedBrowser.formHeaders,
                body: ScriptedBrowser.form(fields))
            #expect(response.status == .forbidden)
            #expect(response.headers[.location] == nil)
        }
    }

    @Test func oversizedBodyIsRefusedWith413() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let body = ByteBuffer(string: "grant_type=" + String(repeating: "x", count: 200_000))
            let response = try await client.execute(
                uri: "/auth/token", method: .post, headers: ScriptedBrowser.formHeaders, body: body)
            #expect(response.status == .contentTooLarge)
        }
    }
}
