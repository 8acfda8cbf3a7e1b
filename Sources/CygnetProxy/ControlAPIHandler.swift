import NIOCore
import NIOHTTP1

/// Serves `ControlAPI` over HTTP/1.1 on the API listener; requests arrive already aggregated.
final class ControlAPIHandler: ChannelInboundHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let api: ControlAPI

    init(api: ControlAPI) {
        self.api = api
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let response = api.handle(
            method: request.head.method,
            uri: request.head.uri,
            headers: request.head.headers,
            body: request.body
        )
        let body = response.json.map { ByteBuffer(string: $0) }
        var headers = HTTPHeaders()
        if let body {
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
        } else if response.status != .noContent {
            headers.add(name: "content-length", value: "0")
        }
        let keepAlive = request.head.isKeepAlive
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
            promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
