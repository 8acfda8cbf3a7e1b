import Logging
import NIOCore
import NIOHTTP1

/// The client-facing end of one connection to the front door. For each request it picks the
/// route, borrows a backend connection from its loop's pool and relays both directions, pausing
/// reads on one side while the other cannot take more, so bodies of any size stream through in
/// bounded memory.
///
/// It also orders pipelined requests itself rather than through `HTTPServerPipelineHandler`,
/// which suspends reading during every response and so costs two `epoll_ctl` calls per request;
/// here reading only stops when a client actually sends ahead.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        case idle
        case connecting
        case proxying
        /// No backend will answer; the answer goes out once the request has been read.
        case rejecting(ErrorResponse, HTTPRequestHead)
        case closing
    }

    private let routes: RouteStore
    private let pool: UpstreamPool
    private let rewriter: RequestRewriter
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var exchange: Exchange?
    private var upstream: UpstreamHandler?
    private var pendingParts: [HTTPClientRequestPart] = []
    /// Parts of requests sent ahead while an earlier one is still being answered.
    private var queuedParts = CircularBuffer<HTTPServerRequestPart>()
    private var readPending = false
    /// Finish the request in flight, then close: on shutdown, or when a malformed request
    /// follows a good one.
    private var closeWhenDone = false
    /// Distinguishes connect attempts, so a late connect result for an abandoned request is
    /// recognised as such.
    private var attempt = 0

    init(routes: RouteStore, pool: UpstreamPool, rewriter: RequestRewriter, logger: Logger) {
        self.routes = routes
        self.pool = pool
        self.rewriter = rewriter
        self.logger = logger
    }

    var isClientWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Client → backend

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !queuedParts.isEmpty || (part.isHead && !isIdle) {
            queuedParts.append(part)
        } else {
            handle(part)
        }
    }

    private var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            begin(head)
        case .body(let body):
            guard exchange != nil else { return }
            exchange?.sentRequestBody = true
            send(.body(.byteBuffer(body)))
        case .end(let trailers):
            if case .rejecting(let response, let head) = phase {
                answer(response, to: head, requestComplete: true)
                return
            }
            guard exchange != nil else { return }
            exchange?.requestComplete = true
            send(.end(trailers))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
    }

    /// Handles queued parts up to the next request that cannot start yet.
    private func handleQueuedParts() {
        while let part = queuedParts.first, !part.isHead || isIdle {
            queuedParts.removeFirst()
            handle(part)
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        guard let route = routes.snapshot().route(forRequestTarget: head.uri) else {
            phase = .rejecting(.noRoute, head)
            return
        }
        route.activity.touch()
        let isUpgrade = head.headers.contains(name: "upgrade")
        exchange = Exchange(
            route: route,
            upstreamHead: rewriter.upstreamHead(from: head, target: route.target, isUpgrade: isUpgrade),
            clientVersion: head.version,
            clientKeepAlive: head.isKeepAlive,
            isUpgrade: isUpgrade
        )
        // An upgraded connection is never returned to the pool, so it gets a fresh one.
        if !isUpgrade, let idle = pool.takeIdle(for: route.target) {
            attach(idle, reused: true)
        } else {
            connect(to: route.target)
        }
    }

    private func send(_ part: HTTPClientRequestPart) {
        switch phase {
        case .connecting: pendingParts.append(part)
        case .proxying: upstream?.write(part)
        case .idle, .rejecting, .closing: break
        }
    }

    private func connect(to target: UpstreamTarget) {
        phase = .connecting
        attempt += 1
        let attempt = self.attempt
        pool.connect(to: target) { result in
            guard case .connecting = self.phase, self.attempt == attempt else {
                // Nobody is waiting for this connection any more; keep it for the next request.
                if case .success(let upstream) = result { self.pool.giveBack(upstream) }
                return
            }
            switch result {
            case .success(let upstream):
                self.attach(upstream, reused: false)
            case .failure(let error):
                self.logger.warning(
                    "Cannot connect to backend",
                    metadata: ["target": "\(target)", "error": "\(error)"]
                )
                self.abandon(answering: .connectFailure(error))
            }
        }
    }

    private func attach(_ upstream: UpstreamHandler, reused: Bool) {
        guard let exchange else {
            pool.giveBack(upstream)
            return
        }
        self.exchange?.reusedConnection = reused
        self.upstream = upstream
        phase = .proxying
        upstream.lend(to: self)
        upstream.write(.head(exchange.upstreamHead))
        for part in pendingParts {
            upstream.write(part)
        }
        pendingParts.removeAll(keepingCapacity: true)
        upstream.flush()
        resumeReading()
    }

    /// Backpressure towards the client: hold its next read while the backend connection is not
    /// there yet or cannot take more, and while an upgrade is being negotiated (bytes after an
    /// upgrade request belong to the next protocol and must stay buffered until the switch).
    func read(context: ChannelHandlerContext) {
        let hold: Bool
        switch phase {
        case _ where !queuedParts.isEmpty:
            hold = true
        case .connecting:
            hold = true
        case .proxying:
            hold = !(upstream?.isWritable ?? false) || (exchange?.isUpgrade ?? false)
        case .idle, .rejecting, .closing:
            hold = false
        }
        if hold {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Reads this handler held back are its own to re-issue: the handlers in front of it never
    /// saw them.
    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        read(context: context)
    }

    // MARK: Backend → client

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context, let exchange else { return }
        switch part {
        case .head(let head) where head.status == .switchingProtocols:
            guard exchange.isUpgrade else {
                // Switching protocols unasked leaves nothing sensible to relay.
                upstream?.close()
                return
            }
            self.exchange?.switchingProtocols = head
        case .head(let head) where head.status.code < 200:
            // HTTP/1.0 clients do not expect interim responses (RFC 9110 §15.2).
            guard exchange.clientVersion.minor >= 1 else { return }
            let interim = ResponseRewriter.clientHead(
                from: head,
                requestMethod: exchange.method,
                clientVersion: exchange.clientVersion,
                closeAfterResponse: false
            )
            context.writeAndFlush(wrapOutboundOut(.head(interim.head)), promise: nil)
        case .head(let head):
            let rewritten = ResponseRewriter.clientHead(
                from: head,
                requestMethod: exchange.method,
                clientVersion: exchange.clientVersion,
                // The decoder stops parsing after a request that asked to upgrade, so a
                // connection whose upgrade was refused cannot carry another request.
                closeAfterResponse: !exchange.clientKeepAlive || exchange.isUpgrade || closeWhenDone
            )
            self.exchange?.responseStarted = true
            self.exchange?.upstreamKeepAlive = head.isKeepAlive
            self.exchange?.closeAfterResponse = rewritten.closeAfterResponse
            context.write(wrapOutboundOut(.head(rewritten.head)), promise: nil)
        case .body(let body):
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        case .end(let trailers):
            if let switching = exchange.switchingProtocols {
                switchProtocols(switching)
            } else {
                finishResponse(trailers: trailers)
            }
        }
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamBecameWritable() {
        resumeReading()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            upstream?.resumeReading()
        }
    }

    func upstreamClosed() {
        upstream = nil
        guard let exchange else { return }
        if exchange.canRetry {
            pendingParts = [.end(nil)]
            self.exchange?.reusedConnection = false
            connect(to: exchange.route.target)
        } else {
            logger.warning("Backend closed the connection early", metadata: ["target": "\(exchange.route.target)"])
            abandon(answering: .badUpstream)
        }
    }

    private func finishResponse(trailers: HTTPHeaders?) {
        guard let context, let exchange, let upstream else { return }
        self.exchange = nil
        self.upstream = nil
        upstream.reclaim()
        if exchange.requestComplete && exchange.upstreamKeepAlive && !exchange.isUpgrade {
            pool.giveBack(upstream)
        } else {
            upstream.close()
        }
        // A response that ends before its request did leaves the rest of the request unread
        // (think of a refused upload); closing is the only unambiguous way on from there.
        let close = exchange.closeAfterResponse || !exchange.requestComplete || closeWhenDone
        phase = close ? .closing : .idle
        let written = context.writeAndFlush(wrapOutboundOut(.end(trailers)))
        if close {
            closeAfter(written)
        } else {
            handleQueuedParts()
        }
        resumeReading()
    }

    private func switchProtocols(_ response: HTTPResponseHead) {
        guard let context, let exchange, let upstream, let upstreamChannel = upstream.channel else { return }
        self.exchange = nil
        self.upstream = nil
        phase = .closing
        upstream.reclaim()
        let head = HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: response.headers)
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        do {
            try SpliceHandler.splice(
                client: context.channel, upstream: upstreamChannel, activity: exchange.route.activity)
        } catch {
            logger.error("Cannot switch protocols", metadata: ["error": "\(error)"])
            upstream.close()
            context.close(promise: nil)
        }
    }

    // MARK: Failures

    /// Gives up on the backend for the current request: the client gets an error page if no
    /// part of a response has reached it yet, and is disconnected otherwise.
    private func abandon(answering response: ErrorResponse) {
        guard let context, let exchange else { return }
        self.exchange = nil
        upstream?.reclaim()
        upstream?.close()
        upstream = nil
        pendingParts.removeAll()
        if exchange.responseStarted {
            phase = .closing
            context.close(promise: nil)
        } else {
            answer(
                response,
                json: ErrorResponse.wantsJSON(exchange.upstreamHead.headers),
                method: exchange.method,
                keepAlive: exchange.clientKeepAlive && exchange.requestComplete && !exchange.isUpgrade
            )
        }
    }

    private func answer(_ response: ErrorResponse, to head: HTTPRequestHead, requestComplete: Bool) {
        answer(
            response,
            json: ErrorResponse.wantsJSON(head.headers),
            method: head.method,
            keepAlive: head.isKeepAlive && requestComplete
        )
    }

    private func answer(_ response: ErrorResponse, json: Bool, method: HTTPMethod, keepAlive: Bool) {
        guard let context else { return }
        let keepAlive = keepAlive && !closeWhenDone
        phase = keepAlive ? .idle : .closing
        let parts = response.parts(json: json, includeBody: method != .HEAD, close: !keepAlive)
        for part in parts.dropLast() {
            context.write(wrapOutboundOut(part), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(parts.last!))
        if keepAlive {
            handleQueuedParts()
        } else {
            closeAfter(written)
        }
        resumeReading()
    }

    /// Closing right away would discard response bytes the socket has not taken yet.
    private func closeAfter(_ write: EventLoopFuture<Void>) {
        guard let context else { return }
        write.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            // Resets and other socket errors: nothing left to tell this client.
            context.close(promise: nil)
            return
        }
        let response: ErrorResponse = parseError == .headerOverflow ? .headTooLarge : .badRequest
        if exchange?.requestComplete == true {
            // The garbage came after a complete request: that one still gets its answer.
            closeWhenDone = true
        } else if exchange != nil {
            abandon(answering: response)
        } else if case .closing = phase {
            context.close(promise: nil)
        } else {
            answer(response, json: false, method: .GET, keepAlive: false)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        closeWhenDone = true
        if isIdle {
            phase = .closing
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closing
        exchange = nil
        pendingParts.removeAll()
        queuedParts.removeAll()
        upstream?.reclaim()
        upstream?.close()
        upstream = nil
    }
}

extension HTTPServerRequestPart {
    fileprivate var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
