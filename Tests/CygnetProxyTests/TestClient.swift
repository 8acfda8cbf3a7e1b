import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 client connection, sending requests one after the other.
final class TestClient {
    struct Response: Sendable {
        var head: HTTPResponseHead
        var body: Checksum
        /// The body as text, kept only while it is small.
        var text: String

        var status: HTTPResponseStatus { head.status }
    }

    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator

    private init(
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>,
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    ) {
        self.outbound = outbound
        self.inbound = inbound
    }

    static func with<T>(port: Int, _ body: (TestClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(TestClient(outbound: outbound, inbound: inbound.makeAsyncIterator()))
        }
    }

    /// Sends a request whose body is `text`, or `upload` streamed in chunks.
    func request(
        _ method: HTTPMethod = .GET,
        _ uri: String,
        headers: HTTPHeaders = [:],
        text: String? = nil,
        upload: PatternBody? = nil
    ) async throws -> Response {
        var headers = headers
        if !headers.contains(name: "host") {
            headers.add(name: "host", value: "cygnet.test:8000")
        }
        if let text {
            headers.replaceOrAdd(name: "content-length", value: String(text.utf8.count))
        } else if let upload {
            headers.replaceOrAdd(name: "content-length", value: String(upload.size))
        }
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)))
        if let text {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: text))))
        }
        for chunk in upload ?? PatternBody(size: 0) {
            try await outbound.write(.body(.byteBuffer(chunk)))
        }
        try await outbound.write(.end(nil))
        return try await readResponse()
    }

    private func readResponse() async throws -> Response {
        var response: Response?
        while let part = try await inbound.next() {
            switch part {
            case .head(let head) where head.status.code < 200:
                continue
            case .head(let head):
                response = Response(head: head, body: Checksum(), text: "")
            case .body(let buffer):
                response?.body.add(buffer)
                if response?.body.count ?? 0 <= 1 << 20 {
                    response?.text += String(buffer: buffer)
                }
            case .end:
                if let response { return response }
            }
        }
        throw ChannelError.eof
    }
}
