import CygnetAuth
import CygnetRuntime
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Client credentials, introspection, revocation, admin API, logout")
struct TokenEndpointsTests {
    static let basic: HTTPFields = [
        .contentType: "application/x-www-form-urlencoded",
        .authorization: "Basic "
            + Data("\(AuthTestHarness.confidentialClient):\(AuthTestHarness.secret)".utf8)
            .base64EncodedString(),
    ]

    static func post(
        _ client: any TestClientProtocol, _ uri: String, _ fields: [String: String], headers: HTTPFields = basic
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        let response = try await client.execute(
            uri: uri, method: .post, headers: headers, body: ScriptedBrowser.form(fields))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
        return (response.status, json ?? [:])
    }

    static func adminToken(_ client: any TestClientProtocol) async throws -> String {
        let (status, json) = try await post(
            client, "/auth/token", ["grant_type": "client_credentials", "scope": "cygnet:admin"])
        #expect(status == .ok)
        return try #require(json["access_token"] as? String)
    }

    @Test(arguments: AuthTestHarness.databases)
    func adminClientCreatesAUserThroughTheAPI(database: String) async throws {
        try await AuthTestHarness.withServer(database: database) { client, context in
            let token = try await Self.adminToken(client)
            let created = try await client.execute(
                uri: "/auth/admin/users", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"grace","name":"Grace Hopper","groups":["physics-1"]}"#))
            #expect(created.status == .created)
            let json = try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any]
            #expect((json?["password"] as? String)?.isEmpty == false)
            #expect(try await context.accounts.users.find(username: "grace")?.groups == ["physics-1"])

            let bad = try await client.execute(
                uri: "/auth/admin/users", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"Bad Name!"}"#))
            #expect(bad.status == .badRequest)
        }
    }

    @Test func adminAPIRefusesMissingWrongAndUnsignedTokens() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let none = try await client.execute(uri: "/auth/admin/users", method: .get)
            #expect(none.status == .unauthorized)
            let (_, plain) = try await Self.post(
                client, "/auth/token", ["grant_type": "client_credentials", "scope": "profile"])
            let weak = try #require(plain["access_token"] as? String)
            let forbidden = try await client.execute(
                uri: "/auth/admin/users", method: .get, headers: [.authorization: "Bearer \(weak)"])
            #expect(forbidden.status == .forbidden)

            let token = try await Self.adminToken(client)
            let parts = token.split(separator: ".")
            let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString()
            for forged in ["\(header).\(parts[1]).", "\(parts[0]).\(parts[1]).\(parts[2].dropLast(4))AAAA"] {
                let response = try await client.execute(
                    uri: "/auth/admin/users", method: .get, headers: [.authorization: "Bearer \(forged)"])
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func introspectionAndRevocation() async throws {
        try await AuthTestHarness.withServer { client, _ in
            let token = try await Self.adminToken(client)
            let (_, active) = try await Self.post(client, "/auth/introspect", ["token": token])
            #expect(active["active"] as? Bool == true)
            #expect(active["client_id"] as? String == AuthTestHarness.confidentialClient)
            let (revoked, _) = try await Self.post(client, "/auth/revoke", ["token": token])
            #expect(revoked == .ok)
            let (_, inactive) = try await Self.post(client, "/auth/introspect", ["token": token])
            #expect(inactive["active"] as? Bool == false)
            let (unknown, _) = try await Self.post(client, "/auth/revoke", ["token": "not-a-token"])
            #expect(unknown == .ok, "RFC 7009: unknown tokens are not an error")
        }
    }

    @Test func wrongClientSecretIsRefused() async throws {
        try await AuthTestHarness.withServer { client, _ in
            var headers = Self.basic
            headers[.authorization] =
                "Basic " + Data("\(AuthTestHarness.confidentialClient):nope".utf8).base64EncodedString()
            let (status, json) = try await Self.post(
                client, "/auth/token", ["grant_type": "client_credentials"], headers: headers)
            #expect(status == .unauthorized)
            #expect(json["error"] as? String == "invalid_client")
        }
    }

    @Test func logoutEndsTheSessionAndRedirectsOnlyToRegisteredAddresses() async throws {
        try await AuthTestHarness.withServer { client, _ in
            var browser = ScriptedBrowser()
            let uri = AuthorizationCodeFlowTests.authorizeURI(client: AuthTestHarness.confidentialClient)
            let login = try await AuthorizationCodeFlowTests.login(client, browser: &browser, uri: uri)
            let code = try #require(login.query["code"])
            let (_, tokens) = try await Self.post(
                client, "/auth/token",
                [
                    "grant_type": "authorization_code", "code": code, "redirect_uri": AuthTestHarness.redirect,
                    "code_verifier": AuthorizationCodeFlowTests.verifier,
                ])
            let idToken = try #require(tokens["id_token"] as? String)
            let evil = try await client.execute(
                uri: "/auth/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
                method: .get, headers: browser.cookieHeader)
            #expect(evil.status == .badRequest)
            let good = try await client.execute(
                uri:
                    "/auth/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fbye&state=z",
                method: .get, headers: browser.cookieHeader)
            #expect(good.status == .found)
            #expect(good.headers[.location] == "http://127.0.0.1:9999/bye?state=z")
            browser.remember(good)
            let again = try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader)
            #expect(again.status == .ok, "after logout the login form shows again")
        }
    }
}
