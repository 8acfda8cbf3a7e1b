import NIOCore
import NIOHTTP1

/// One side of an upgraded connection (a WebSocket, usually): relays raw bytes to the handler
/// on the other side. Reading stops while the other side cannot write, so a fast sender cannot
/// make the proxy buffer without bound.
final class SpliceHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let activity: RouteActivity
    private var context: ChannelHandlerContext?
    private var peer: SpliceHandler?
    private var readPending = false

    private init(activity: RouteActivity) {
        self.activity = activity
    }

    /// Replaces the HTTP handlers of both connections with a pair of splice handlers. Bytes that
    /// either HTTP decoder already holds (a client may send its first frames right behind the
    /// upgrade request, a backend right behind its 101) are handed on, not lost.
    static func splice(client: any Channel, upstream: any Channel, activity: RouteActivity) throws {
        let clientSide = SpliceHandler(activity: activity)
        let upstreamSide = SpliceHandler(activity: activity)
        clientSide.peer = upstreamSide
        upstreamSide.peer = clientSide
        let clientPipeline = client.pipeline.syncOperations
        let upstreamPipeline = upstream.pipeline.syncOperations
        try clientPipeline.addHandler(clientSide)
        try upstreamPipeline.addHandler(upstreamSide)

        // Everything that expects HTTP messages leaves first, so that decoded leftovers can be
        // written to the other side straight away.
        try remove(HTTPResponseEncoder.self, from: clientPipeline)
        try remove(ProxyHandler.self, from: clientPipeline)
        try remove(HTTPRequestEncoder.self, from: upstreamPipeline)
        try remove(UpstreamHandler.self, from: upstreamPipeline)
        // Decoders leave asynchronously, forwarding what they hold as they go.
        let upstreamDecoderGone = try remove(ByteToMessageHandler<HTTPResponseDecoder>.self, from: upstreamPipeline)
        let clientDecoderGone = try remove(ByteToMessageHandler<HTTPRequestDecoder>.self, from: clientPipeline)
        upstreamDecoderGone.and(clientDecoderGone).assumeIsolated().whenComplete { _ in
            clientSide.start()
            upstreamSide.start()
        }
    }

    @discardableResult
    private static func remove<Handler: RemovableChannelHandler>(
        _ type: Handler.Type,
        from pipeline: ChannelPipeline.SynchronousOperations
    ) throws -> EventLoopFuture<Void> {
        pipeline.removeHandler(context: try pipeline.context(handlerType: type))
    }

    private func start() {
        guard let context else { return }
        context.flush()
        context.read()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.touch()
        peer?.context?.write(wrapOutboundOut(unwrapInboundIn(data)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        peer?.context?.flush()
    }

    func read(context: ChannelHandlerContext) {
        if peer?.context?.channel.isWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            peer?.resumeReading()
        }
    }

    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let peer = self.peer
        self.peer = nil
        peer?.closeAfterPendingWrites()
    }

    private func closeAfterPendingWrites() {
        peer = nil
        guard let context else { return }
        // An empty write completes after everything queued before it, so nothing is cut off.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A tunnel has no request boundary to wait for; on shutdown it simply ends, and the
        // browser's WebSocket reconnects.
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
