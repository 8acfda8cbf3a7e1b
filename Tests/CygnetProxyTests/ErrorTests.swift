import CygnetProxy
import NIOHTTP1
import Testing

@Suite struct ErrorTests {
    @Test func unreachableBackendGivesAFriendly503() async throws {
        try await withProxy(routes: ["/user/bob": "http://127.0.0.1:1"]) { proxy in
            try await TestClient.with(port: proxy.port) { client async throws in
                let page = try await client.request(.GET, "/user/bob/lab")
                #expect(page.status == .serviceUnavailable)
                #expect(page.head.headers["content-type"].first?.hasPrefix("text/html") == true)
                #expect(page.text.contains("The service at this address is not reachable right now."))

                let json = try await client.request(
                    .GET, "/user/bob/api/status", headers: ["accept": "application/json"])
                #expect(json.status == .serviceUnavailable)
                #expect(
                    json.text == #"{"status":503,"message":"The service at this address is not reachable right now."}"#)

                #expect(try await client.request(.GET, "/elsewhere").status == .notFound)
            }
            #expect(proxy.routes.snapshot().routes["/user/bob"] != nil)
        }
    }

    @Test func malformedRequestsGet400AndAreClosed() async throws {
        try await withProxy { proxy in
            try await RawClient.with(port: proxy.port) { client in
                try await client.send("NOT A REQUEST\r\n\r\n")
                #expect(try await client.readToEnd().hasPrefix("HTTP/1.1 400 Bad Request"))
            }
        }
    }

    @Test func oversizedHeadsGet431() async throws {
        try await withProxy { proxy in
            try await RawClient.with(port: proxy.port) { client in
                let filler = String(repeating: "a", count: 70 * 1024)
                try await client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Filler: \(filler)\r\n\r\n")
                #expect(try await client.readToEnd().hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"))
            }
        }
    }
}
