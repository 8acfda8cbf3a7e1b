import CygnetProxy
import Foundation
import NIOHTTP1
import Testing

@Suite struct ForwardingTests {
    @Test func requestsGoToTheLongestMatchingPrefixWithTheFullPath() async throws {
        try await TestUpstream.with(TestUpstream.echo("hub")) { hub in
            try await TestUpstream.with(TestUpstream.echo("alice")) { alice in
                try await TestUpstream.with(TestUpstream.echo("lab")) { lab in
                    try await withProxy(defaultTarget: hub.url, routes: ["/user/alice": alice.url]) { proxy in
                        proxy.routes.add(prefix: "/user/alice/lab/", target: UpstreamTarget(url: lab.url)!)
                        let expectations = [
                            ("/user/alice", "alice GET /user/alice"),
                            (
                                "/user/alice/api/contents?type=notebook&x=%2F",
                                "alice GET /user/alice/api/contents?type=notebook&x=%2F"
                            ),
                            ("/user/alicex/", "hub GET /user/alicex/"),
                            ("/user/alice/lab/tree/a.ipynb", "lab GET /user/alice/lab/tree/a.ipynb"),
                            ("/user/alice/labs", "alice GET /user/alice/labs"),
                            ("/", "hub GET /"),
                            ("/hub/login?next=%2Fuser%2Falice", "hub GET /hub/login?next=%2Fuser%2Falice"),
                        ]
                        try await TestClient.with(port: proxy.port) { client async throws in
                            for (path, firstLine) in expectations {
                                let response = try await client.request(.GET, path)
                                #expect(response.status == .ok)
                                #expect(response.text.split(separator: "\n").first.map(String.init) == firstLine)
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func forwardedHeadersAreSetByTheProxyAndHopByHopHeadersDropped() async throws {
        try await TestUpstream.with(TestUpstream.echo("hub")) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await TestClient.with(port: proxy.port) { client async throws in
                    let response = try await client.request(
                        .POST,
                        "/hub/api",
                        headers: [
                            "Host": "school.example:8443",
                            "X-Forwarded-For": "6.6.6.6",
                            "X-Forwarded-Host": "evil.example",
                            "X-Forwarded-Proto": "https",
                            "X-Forwarded-Prefix": "/evil",
                            "Connection": "keep-alive, X-Hop",
                            "X-Hop": "secret",
                            "Keep-Alive": "timeout=5",
                            "Proxy-Authorization": "Basic eA==",
                            "Cookie": "session=1",
                        ],
                        text: "{}"
                    )
                    let lines = Set(response.text.split(separator: "\n").map(String.init))
                    #expect(lines.contains("host: school.example:8443"))
                    #expect(lines.contains("x-forwarded-for: 127.0.0.1"))
                    #expect(lines.contains("x-forwarded-host: school.example:8443"))
                    #expect(lines.contains("x-forwarded-proto: http"))
                    #expect(lines.contains("x-forwarded-port: 8443"))
                    #expect(lines.contains("cookie: session=1"))
                    #expect(lines.contains("content-length: 2"))
                    for dropped in ["6.6.6.6", "evil", "x-hop", "keep-alive", "proxy-authorization", "connection"] {
                        #expect(!response.text.lowercased().contains(dropped), "\(dropped) reached the backend")
                    }
                }
            }
        }
    }

    @Test func trustedForwardedHeadersAreKeptAndExtended() async throws {
        try await TestUpstream.with(TestUpstream.echo("hub")) { hub in
            try await withProxy(defaultTarget: hub.url, trustForwarded: true) { proxy in
                try await TestClient.with(port: proxy.port) { client async throws in
                    let response = try await client.request(
                        .GET,
                        "/",
                        headers: ["X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"]
                    )
                    let lines = Set(response.text.split(separator: "\n").map(String.init))
                    #expect(lines.contains("x-forwarded-for: 10.1.2.3, 127.0.0.1"))
                    #expect(lines.contains("x-forwarded-proto: https"))
                    #expect(lines.contains("x-forwarded-host: cygnet.test:8000"))
                }
            }
        }
    }

    @Test func idleBackendConnectionsAreReused() async throws {
        try await TestUpstream.with(TestUpstream.echo("hub")) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                let requests = 30
                for _ in 0..<3 {
                    try await TestClient.with(port: proxy.port) { client async throws in
                        for index in 0..<(requests / 3) {
                            #expect(try await client.request(.GET, "/n/\(index)").status == .ok)
                        }
                    }
                }
                #expect(hub.connectionCount < requests)
                #expect(hub.connectionCount <= 3)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await TestUpstream.with(TestUpstream.echo("hub")) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await RawClient.with(port: proxy.port) { client in
                    try await client.send(
                        "GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n"
                            + "GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    )
                    let all = try await client.readToEnd()
                    let first = try #require(all.range(of: "hub GET /first"))
                    let second = try #require(all.range(of: "hub GET /second"))
                    let third = try #require(all.range(of: "hub GET /third"))
                    #expect(first.lowerBound < second.lowerBound && second.lowerBound < third.lowerBound)
                }
            }
        }
    }
}
