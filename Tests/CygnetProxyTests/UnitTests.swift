import NIOCore
import NIOHTTP1
import Testing

@testable import CygnetProxy

@Suite struct RoutingTableTests {
    private func table(_ prefixes: [String]) -> RoutingTable {
        let store = RouteStore()
        for (index, prefix) in prefixes.enumerated() {
            store.add(prefix: prefix, target: UpstreamTarget(host: "127.0.0.1", port: 1000 + index))
        }
        return store.snapshot()
    }

    @Test(arguments: [
        ("/user/alice", "/user/alice"),
        ("/user/alice/", "/user/alice"),
        ("/user/alice/lab/tree?x=1", "/user/alice/lab"),
        ("/user/alice/lab", "/user/alice/lab"),
        ("/user/alice/labx", "/user/alice"),
        ("/user/alicex", "/"),
        ("/user", "/"),
        ("/", "/"),
        ("/user/alice?next=/user/bob", "/user/alice"),
        ("*", "/"),
    ])
    func longestSegmentPrefixWins(path: String, expected: String) {
        let routes = table(["/", "/user/alice", "/user/alice/lab", "/hub"])
        #expect(routes.route(forRequestTarget: path)?.prefix == expected)
    }

    @Test func withoutDefaultRouteUnmatchedPathsHaveNoRoute() {
        #expect(table(["/hub"]).route(forRequestTarget: "/user/alice") == nil)
    }

    @Test(arguments: [("user/alice/", "/user/alice"), ("/", "/"), ("", "/"), ("//", "/"), ("/a/b", "/a/b")])
    func prefixesAreNormalized(raw: String, expected: String) {
        #expect(RoutePrefix.normalize(raw) == expected)
    }
}

@Suite struct ParsingTests {
    @Test func targetsMustBePlainHTTPHostAndPort() {
        #expect(UpstreamTarget(url: "http://127.0.0.1:8081")?.address == HostAndPort(host: "127.0.0.1", port: 8081))
        #expect(UpstreamTarget(url: "http://hub.local:8081/")?.address == HostAndPort(host: "hub.local", port: 8081))
        #expect(UpstreamTarget(url: "http://[::1]:9000")?.address == HostAndPort(host: "::1", port: 9000))
        #expect(UpstreamTarget(url: "http://hub.local")?.address.port == 80)
        for bad in [
            "https://hub:1", "http://hub:1/path", "http://hub:x", "http://", "hub:1", "http://u@hub:1", "http://hub:0",
        ] {
            #expect(UpstreamTarget(url: bad) == nil, "\(bad)")
        }
    }

    @Test func listenAddresses() {
        #expect(HostAndPort("0.0.0.0:8000") == HostAndPort(host: "0.0.0.0", port: 8000))
        #expect(HostAndPort("[::]:8000") == HostAndPort(host: "::", port: 8000))
        #expect(HostAndPort("8000") == nil)
        #expect(HostAndPort(":8000") == nil)
        #expect(HostAndPort("a:70000") == nil)
    }

    @Test func timestampsRoundTrip() {
        let text = WallClock.iso8601(milliseconds: 1_795_663_200_123)
        #expect(text == "2026-11-26T03:20:00.123Z")
        #expect(ControlAPI.parseTimestamp(text) == 1_795_663_200_123)
        #expect(ControlAPI.parseTimestamp("2026-11-26T03:20:00Z") == 1_795_663_200_000)
        #expect(ControlAPI.parseTimestamp("yesterday") == nil)
    }

    @Test func headerNamesCompareWithoutCase() {
        #expect(HeaderName.matches("Keep-Alive", "keep-alive"))
        #expect(!HeaderName.matches("Keep-Alives", "keep-alive"))
        #expect(HeaderName.hasPrefix("X-Forwarded-Host", "x-forwarded-"))
        #expect(HeaderName.isHopByHop("Proxy-Authorization"))
        #expect(!HeaderName.isHopByHop("Transfer-Encoding"))
    }
}

@Suite struct ResponseFramingTests {
    private func frame(
        _ status: HTTPResponseStatus,
        _ headers: HTTPHeaders,
        method: HTTPMethod = .GET,
        version: HTTPVersion = .http1_1
    ) -> (head: HTTPResponseHead, closeAfterResponse: Bool) {
        ResponseRewriter.clientHead(
            from: HTTPResponseHead(version: .http1_1, status: status, headers: headers),
            requestMethod: method,
            clientVersion: version,
            closeAfterResponse: false
        )
    }

    @Test func unframedBodiesAreChunkedForHTTP11AndCloseDelimitedForHTTP10() {
        let chunked = frame(.ok, ["transfer-encoding": "chunked", "connection": "keep-alive, x-hop", "x-hop": "1"])
        #expect(chunked.head.headers["transfer-encoding"] == ["chunked"])
        #expect(!chunked.head.headers.contains(name: "x-hop"))
        #expect(!chunked.closeAfterResponse)

        let old = frame(.ok, [:], version: .http1_0)
        #expect(old.closeAfterResponse)
        #expect(old.head.headers["connection"] == ["close"])
    }

    @Test func bodylessResponsesKeepTheirLengthAndAreNeverChunked() {
        for (status, method) in [(HTTPResponseStatus.ok, HTTPMethod.HEAD), (.noContent, .GET), (.notModified, .GET)] {
            let framed = frame(status, ["transfer-encoding": "chunked", "content-length": "12"], method: method)
            #expect(!framed.head.headers.contains(name: "transfer-encoding"))
            #expect(!framed.closeAfterResponse)
        }
    }
}

@Suite struct ErrorResponseTests {
    @Test func connectTimeoutsAre504AndOtherConnectFailures503() {
        #expect(ErrorResponse.connectFailure(ChannelError.connectTimeout(.seconds(10))).status == .gatewayTimeout)
        #expect(ErrorResponse.connectFailure(ChannelError.ioOnClosedChannel).status == .serviceUnavailable)
    }
}
