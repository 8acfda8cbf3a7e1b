import NIOCore
import NIOHTTP1

/// The proxy's end of one keep-alive connection to a backend. Between requests it waits in its
/// loop's `UpstreamPool`; during a request it is lent to exactly one `ProxyHandler` and reports
/// everything the backend sends to it.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let target: UpstreamTarget
    private let pool: UpstreamPool
    private var context: ChannelHandlerContext?
    private var borrower: ProxyHandler?
    private var readPending = false

    init(target: UpstreamTarget, pool: UpstreamPool) {
        self.target = target
        self.pool = pool
    }

    var channel: (any Channel)? { context?.channel }
    var isUsable: Bool { context?.channel.isActive ?? false }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func lend(to borrower: ProxyHandler) {
        self.borrower = borrower
    }

    func reclaim() {
        borrower = nil
        resumeReading()
    }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        context?.close(promise: nil)
    }

    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let borrower else {
            // A backend must not speak while no request is outstanding; the connection is unusable.
            context.close(promise: nil)
            return
        }
        borrower.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        borrower?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            borrower?.upstreamBecameWritable()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let borrower {
            self.borrower = nil
            borrower.upstreamClosed()
        } else {
            pool.remove(self)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed responses and socket errors both end the connection; `channelInactive` then
        // tells the borrower, which knows whether the client can still get an error page.
        context.close(promise: nil)
    }

    /// Backpressure towards the backend: stop reading its response while the client cannot
    /// take more, so a slow client never makes the proxy buffer a large download.
    func read(context: ChannelHandlerContext) {
        if let borrower, !borrower.isClientWritable {
            readPending = true
        } else {
            context.read()
        }
    }
}
