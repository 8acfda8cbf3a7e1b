import CygnetProxy
import Testing

@Suite struct UpgradeTests {
    private static let upgradeHead =
        "GET /user/alice/api/kernels/1/channels HTTP/1.1\r\nHost: cygnet.test\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Protocol: chat\r\n\r\n"

    @Test func upgradedConnectionsRelayRawBytesBothWays() async throws {
        try await TunnelUpstream.with { port in
            try await withProxy(routes: ["/user/alice": "http://127.0.0.1:\(port)"]) { proxy in
                try await RawClient.with(port: proxy.port) { client in
                    // The first frame rides in the same packet as the request head.
                    try await client.send(Self.upgradeHead + "early-frame|")
                    let head = try await client.read(through: "\r\n\r\n")
                    #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols"))
                    #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
                    #expect(head.contains("Sec-WebSocket-Protocol: chat"))
                    #expect(try await client.read(through: "|") == TunnelUpstream.greeting)
                    #expect(try await client.read(through: "|") == "early-frame|")
                    for index in 0..<50 {
                        try await client.send("message-\(index)|")
                        #expect(try await client.read(through: "|") == "message-\(index)|")
                    }
                }
            }
        }
    }

    @Test func tunnelTrafficCountsAsActivity() async throws {
        try await TunnelUpstream.with { port in
            try await withProxy(routes: ["/user/alice": "http://127.0.0.1:\(port)"]) { proxy in
                let activity = try #require(proxy.routes.snapshot().routes["/user/alice"]?.activity)
                try await RawClient.with(port: proxy.port) { client in
                    try await client.send(Self.upgradeHead)
                    _ = try await client.read(through: TunnelUpstream.greeting)
                    let afterUpgrade = activity.lastActivityMilliseconds
                    try await Task.sleep(for: .milliseconds(50))
                    try await client.send("ping|")
                    _ = try await client.read(through: "|")
                    #expect(activity.lastActivityMilliseconds > afterUpgrade)
                }
            }
        }
    }

    @Test func refusedUpgradesAreRelayedAsNormalResponses() async throws {
        try await TestUpstream.with(TestUpstream.echo("plain")) { plain in
            try await withProxy(defaultTarget: plain.url) { proxy in
                try await RawClient.with(port: proxy.port) { client in
                    try await client.send(Self.upgradeHead)
                    let response = try await client.readToEnd()
                    #expect(response.hasPrefix("HTTP/1.1 200 OK"))
                    #expect(response.contains("plain GET /user/alice/api/kernels/1/channels"))
                    #expect(response.contains("upgrade: websocket"))
                }
            }
        }
    }
}
