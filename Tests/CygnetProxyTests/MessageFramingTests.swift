import CygnetProxy
import NIOHTTP1
import Testing

@Suite struct MessageFramingTests {
    private static let backend: @Sendable (TestUpstream.Request) -> TestUpstream.Reply = { request in
        switch request.head.uri {
        case "/chunked":
            return .init(body: .chunks(["first,", "second,", "third"]))
        case "/empty":
            return .init(status: .noContent)
        case "/not-modified":
            return .init(status: .notModified, headers: ["etag": "\"v1\""])
        case "/sized":
            return .init(
                headers: ["content-length": "1234"],
                body: .text(request.head.method == .HEAD ? "" : String(repeating: "x", count: 1234)))
        case "/upload":
            return .init(body: .text("\(request.body.count) \(request.body.value)"))
        default:
            return .init(body: .text("ok"))
        }
    }

    @Test func chunkedResponsesStayChunked() async throws {
        try await TestUpstream.with(Self.backend) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await TestClient.with(port: proxy.port) { client async throws in
                    let response = try await client.request(.GET, "/chunked")
                    #expect(response.head.headers["transfer-encoding"] == ["chunked"])
                    #expect(response.text == "first,second,third")
                    #expect(try await client.request(.GET, "/after").text == "ok")
                }
            }
        }
    }

    @Test func bodylessResponsesKeepTheConnectionUsable() async throws {
        try await TestUpstream.with(Self.backend) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await TestClient.with(port: proxy.port) { client async throws in
                    let head = try await client.request(.HEAD, "/sized")
                    #expect(head.status == .ok)
                    #expect(head.head.headers["content-length"] == ["1234"])
                    #expect(head.body.count == 0)

                    let headOfChunked = try await client.request(.HEAD, "/chunked")
                    #expect(headOfChunked.body.count == 0)

                    #expect(try await client.request(.GET, "/empty").status == .noContent)
                    let notModified = try await client.request(.GET, "/not-modified")
                    #expect(notModified.status == .notModified)
                    #expect(notModified.head.headers["etag"] == ["\"v1\""])

                    let sized = try await client.request(.GET, "/sized")
                    #expect(sized.body.count == 1234)
                }
            }
        }
    }

    @Test func expectContinueIsRelayedBeforeTheBodyIsSent() async throws {
        try await TestUpstream.with(Self.backend) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await RawClient.with(port: proxy.port) { client in
                    try await client.send(
                        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
                    )
                    let interim = try await client.read(through: "\r\n\r\n")
                    #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
                    try await client.send("hello")
                    let final = try await client.read(through: "\r\n\r\n")
                    #expect(final.hasPrefix("HTTP/1.1 200 OK"))
                }
            }
        }
    }

    @Test func largeBodiesStreamBothWays() async throws {
        let size = 50 * 1024 * 1024
        let body = PatternBody(size: size)
        let expected = body.checksum
        try await TestUpstream.with(Self.backend) { hub in
            try await withProxy(defaultTarget: hub.url) { proxy in
                try await TestUpstream.with({ _ in .init(body: .pattern(size)) }) { source in
                    proxy.routes.add(prefix: "/download", target: UpstreamTarget(url: source.url)!)
                    try await TestClient.with(port: proxy.port) { client async throws in
                        let upload = try await client.request(.PUT, "/upload", upload: body)
                        #expect(upload.text == "\(size) \(expected.value)")

                        let download = try await client.request(.GET, "/download/file")
                        #expect(download.body == expected)
                    }
                }
            }
        }
    }
}
