import Foundation
import NIOCore
import NIOPosix

/// A backend that accepts any upgrade, as a WebSocket server would: it answers the request
/// head with a 101, sends a greeting right behind it, then echoes every byte it receives
/// (including bytes that arrived together with the request head).
enum TunnelUpstream {
    static let greeting = "hello-from-backend|"

    static func with<T>(_ body: (_ port: Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            connections.addTask { try? await serve(connection) }
                        }
                    }
                }
            }
            defer { tasks.cancelAll() }
            return try await body(port)
        }
    }

    private static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head = ""
            var upgraded = false
            for try await buffer in inbound {
                guard !upgraded else {
                    try await outbound.write(buffer)
                    continue
                }
                head += String(buffer: buffer)
                guard let end = head.range(of: "\r\n\r\n") else { continue }
                upgraded = true
                let protocolName = head.lowercased().contains("sec-websocket-protocol: chat") ? "chat" : "none"
                let response =
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: \(protocolName)\r\n\r\n"
                try await outbound.write(ByteBuffer(string: response + greeting))
                let early = String(head[end.upperBound...])
                if !early.isEmpty {
                    try await outbound.write(ByteBuffer(string: early))
                }
            }
        }
    }
}
