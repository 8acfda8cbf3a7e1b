import Foundation
import NIOCore
import NIOPosix

/// A plain TCP connection, for what an HTTP client library would not send: pipelined requests,
/// malformed heads, and bytes of another protocol after an upgrade.
final class RawClient {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var received = ""

    private init(
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    ) {
        self.outbound = outbound
        self.inbound = inbound
    }

    static func with<T>(port: Int, _ body: (RawClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawClient(outbound: outbound, inbound: inbound.makeAsyncIterator()))
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Reads until `marker` has arrived and returns everything up to and including it.
    func read(through marker: String) async throws -> String {
        while !received.contains(marker) {
            guard let buffer = try await inbound.next() else { throw ChannelError.eof }
            received += String(buffer: buffer)
        }
        let end = received.range(of: marker)!.upperBound
        defer { received = String(received[end...]) }
        return String(received[..<end])
    }

    /// Reads until the peer closes and returns everything not yet consumed.
    func readToEnd() async throws -> String {
        while let buffer = try await inbound.next() {
            received += String(buffer: buffer)
        }
        defer { received = "" }
        return received
    }
}
