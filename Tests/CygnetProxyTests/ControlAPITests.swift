import CygnetProxy
import Foundation
import NIOHTTP1
import Testing

@Suite struct ControlAPITests {
    private typealias Routes = [String: [String: JSONValue]]
    private let auth: HTTPHeaders = ["authorization": "token \(testToken)"]

    private func routes(_ api: TestClient, query: String = "") async throws -> Routes {
        let response = try await api.request(.GET, "/api/routes\(query)", headers: auth)
        #expect(response.status == .ok)
        return try JSONDecoder().decode(Routes.self, from: Data(response.text.utf8))
    }

    @Test func everythingButHealthNeedsTheToken() async throws {
        try await withProxy { proxy in
            try await TestClient.with(port: proxy.apiPort) { api in
                #expect(try await api.request(.GET, "/api/healthz").status == .ok)
                #expect(try await api.request(.GET, "/api/routes").status == .forbidden)
                #expect(
                    try await api.request(.GET, "/api/routes", headers: ["authorization": "token wrong"]).status
                        == .forbidden)
                #expect(
                    try await api.request(.GET, "/api/routes", headers: ["authorization": "token \(testToken)x"]).status
                        == .forbidden)
                #expect(try await api.request(.DELETE, "/api/routes/hub").status == .forbidden)
                let denied = try await api.request(
                    .POST, "/api/routes/x", headers: ["authorization": "Bearer \(testToken)"], text: "{}")
                #expect(denied.status == .forbidden)
            }
        }
    }

    @Test func routesCanBeAddedListedUsedAndDeleted() async throws {
        try await TestUpstream.with(TestUpstream.echo("alice")) { alice in
            try await withProxy { proxy in
                try await TestClient.with(port: proxy.apiPort) { api in
                    let body = #"{"target": "\#(alice.url)", "user": "alice", "server_name": "", "jupyterhub": true}"#
                    #expect(
                        try await api.request(.POST, "/api/routes/user/alice/", headers: auth, text: body).status
                            == .created)

                    let listed = try await routes(api)
                    let entry = try #require(listed["/user/alice"])
                    #expect(entry["target"] == .string(alice.url))
                    #expect(entry["user"] == .string("alice"))
                    #expect(entry["jupyterhub"] == .bool(true))
                    guard case .string(let stamp) = entry["last_activity"] else {
                        Issue.record("no last_activity")
                        return
                    }
                    #expect(stamp.hasSuffix("Z"))

                    try await TestClient.with(port: proxy.port) { client async throws in
                        #expect(
                            try await client.request(.GET, "/user/alice/lab").text.hasPrefix(
                                "alice GET /user/alice/lab"))
                        #expect(
                            try await api.request(.DELETE, "/api/routes/user/alice", headers: auth).status == .noContent
                        )
                        #expect(try await client.request(.GET, "/user/alice/lab").status == .notFound)
                    }
                    #expect(try await routes(api)["/user/alice"] == nil)
                    #expect(
                        try await api.request(.DELETE, "/api/routes/user/alice", headers: auth).status == .noContent)
                }
            }
        }
    }

    @Test(arguments: [
        #"{"target": "https://127.0.0.1:1"}"#,
        #"{"target": "http://127.0.0.1:1/hub"}"#,
        #"{"target": 5}"#,
        #"{"user": "alice"}"#,
        "not json",
        "[]",
    ])
    func badTargetsAreRejected(body: String) async throws {
        try await withProxy { proxy in
            try await TestClient.with(port: proxy.apiPort) { api in
                let response = try await api.request(.POST, "/api/routes/user/x", headers: auth, text: body)
                #expect(response.status == .badRequest)
                #expect(response.text.contains("\"message\""))
                #expect(try await routes(api).isEmpty)
            }
        }
    }

    @Test func inactiveSinceListsOnlyRoutesQuietSinceThen() async throws {
        try await TestUpstream.with(TestUpstream.echo("busy")) { busy in
            try await withProxy { proxy in
                proxy.routes.add(prefix: "/user/quiet", target: UpstreamTarget(url: busy.url)!)
                proxy.routes.add(prefix: "/user/busy", target: UpstreamTarget(url: busy.url)!)
                try await TestClient.with(port: proxy.apiPort) { api in
                    let before = try await routes(api)
                    try await Task.sleep(for: .milliseconds(50))
                    try await TestClient.with(port: proxy.port) { client async throws in
                        #expect(try await client.request(.GET, "/user/busy/api").status == .ok)
                    }
                    let after = try await routes(api)
                    #expect(after["/user/busy"]?["last_activity"] != before["/user/busy"]?["last_activity"])
                    #expect(after["/user/quiet"]?["last_activity"] == before["/user/quiet"]?["last_activity"])

                    guard case .string(let busySince) = after["/user/busy"]?["last_activity"] else {
                        Issue.record("no last_activity")
                        return
                    }
                    let inactive = try await routes(api, query: "?inactive_since=\(busySince)")
                    #expect(Set(inactive.keys) == ["/user/quiet"])
                    #expect(try await routes(api, query: "?inactive_since=2000-01-01T00:00:00Z").isEmpty)
                    #expect(try await routes(api, query: "?inactive_since=2999-01-01T00%3A00%3A00.000Z").count == 2)
                    let bad = try await api.request(.GET, "/api/routes?inactive_since=soon", headers: auth)
                    #expect(bad.status == .badRequest)
                }
            }
        }
    }
}
