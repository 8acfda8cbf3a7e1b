import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to backends, owned by one event loop. Clients on a loop only borrow
/// connections that live on the same loop, so relaying never hops threads and the pool needs
/// no lock.
final class UpstreamPool {
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let maxIdlePerTarget: Int
    private var idle: [UpstreamTarget: [UpstreamHandler]] = [:]

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maxIdlePerTarget: Int) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.maxIdlePerTarget = maxIdlePerTarget
    }

    /// The most recently used idle connection, so that rarely needed extras age out at the
    /// backend's keep-alive timeout instead of all being kept warm.
    func takeIdle(for target: UpstreamTarget) -> UpstreamHandler? {
        while let handler = idle[target]?.popLast() {
            if handler.isUsable { return handler }
        }
        return nil
    }

    func giveBack(_ handler: UpstreamHandler) {
        guard handler.isUsable, idle[handler.target, default: []].count < maxIdlePerTarget else {
            handler.close()
            return
        }
        idle[handler.target, default: []].append(handler)
    }

    func remove(_ handler: UpstreamHandler) {
        idle[handler.target]?.removeAll { $0 === handler }
    }

    func closeIdleConnections() {
        let handlers = idle.values.joined()
        idle.removeAll()
        for handler in handlers {
            handler.close()
        }
    }

    func connect(to target: UpstreamTarget, completion: @escaping (Result<UpstreamHandler, any Error>) -> Void) {
        let handler = UpstreamHandler(target: target, pool: self)
        let boundHandler = NIOLoopBound(handler, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        HTTPRequestEncoder(),
                        // Informational responses are forwarded so `Expect: 100-continue` works
                        // end to end; leftover bytes are forwarded for upgraded connections.
                        ByteToMessageHandler(
                            HTTPResponseDecoder(
                                leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)
                        ),
                        boundHandler.value,
                    ])
                }
            }
        let host = target.address.host
        let port = target.address.port
        let connection: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connection = bootstrap.connect(to: address)
        } else {
            connection = bootstrap.connect(host: host, port: port)
        }
        connection.assumeIsolated().whenComplete { result in
            completion(result.map { _ in handler })
        }
    }
}

/// One `UpstreamPool` per event loop of the group, found by the loop a client connection
/// landed on.
final class UpstreamPools: Sendable {
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool>]

    init(group: any EventLoopGroup, connectTimeout: TimeAmount, maxIdlePerTarget: Int) {
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                UpstreamPool(eventLoop: loop, connectTimeout: connectTimeout, maxIdlePerTarget: maxIdlePerTarget),
                eventLoop: loop
            )
        }
        self.pools = pools
    }

    /// Connections in use close with the client connections they serve.
    func closeIdleConnections() async {
        for box in pools.values {
            try? await box.eventLoop.submit { box.value.closeIdleConnections() }.get()
        }
    }

    /// Must be called on `eventLoop`, which must belong to the group the pools were made for.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        guard let box = pools[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop \(eventLoop) is not part of the proxy's group")
        }
        return box.value
    }
}
