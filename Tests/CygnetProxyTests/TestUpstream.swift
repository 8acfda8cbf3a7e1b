import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP backend on 127.0.0.1 for tests. Every request is read to the end (its body only
/// checksummed) and answered by `respond`; connections are counted.
final class TestUpstream: Sendable {
    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: Checksum
    }

    enum Body: Sendable {
        case text(String)
        case delayed(Duration, String)
        case pattern(Int)
        case chunks([String])
    }

    struct Reply: Sendable {
        var status: HTTPResponseStatus = .ok
        var headers: HTTPHeaders = [:]
        var body: Body = .text("")
    }

    let port: Int
    private let connections = Atomic(0)

    var connectionCount: Int { connections.load(ordering: .relaxed) }
    var url: String { "http://127.0.0.1:\(port)" }

    private init(port: Int) {
        self.port = port
    }

    /// Echoes the request line and headers, one per line, prefixed by `name`.
    static func echo(_ name: String) -> @Sendable (Request) -> Reply {
        { request in
            var text = "\(name) \(request.head.method) \(request.head.uri)\n"
            for (header, value) in request.head.headers {
                text += "\(header.lowercased()): \(value)\n"
            }
            return Reply(body: .text(text))
        }
    }

    static func with<T>(
        _ respond: @escaping @Sendable (Request) -> Reply,
        _ body: (TestUpstream) async throws -> T
    ) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        let upstream = TestUpstream(port: server.channel.localAddress!.port!)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            upstream.connections.add(1, ordering: .relaxed)
                            connections.addTask {
                                try? await Self.serve(connection, respond: respond)
                            }
                        }
                    }
                }
            }
            defer { tasks.cancelAll() }
            return try await body(upstream)
        }
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        respond: @Sendable (Request) -> Reply
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var request: Request?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    request = Request(head: head, body: Checksum())
                    if head.headers["expect"].first?.lowercased() == "100-continue" {
                        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .continue)))
                    }
                case .body(let buffer):
                    request?.body.add(buffer)
                case .end:
                    guard let finished = request else { continue }
                    try await write(respond(finished), to: outbound)
                }
            }
        }
    }

    private static func write(_ reply: Reply, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>)
        async throws
    {
        var headers = reply.headers
        switch reply.body {
        case .text(let text) where !headers.contains(name: "content-length"),
            .delayed(_, let text) where !headers.contains(name: "content-length"):
            headers.add(name: "content-length", value: String(text.utf8.count))
        case .pattern(let size):
            headers.add(name: "content-length", value: String(size))
        default:
            break
        }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers)))
        switch reply.body {
        case .text(let text) where !text.isEmpty:
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
        case .text:
            break
        case .delayed(let delay, let text):
            try await Task.sleep(for: delay)
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
        case .pattern(let size):
            for chunk in PatternBody(size: size) {
                try await outbound.write(.body(.byteBuffer(chunk)))
            }
        case .chunks(let chunks):
            for chunk in chunks {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: chunk))))
            }
        }
        try await outbound.write(.end(nil))
    }
}
