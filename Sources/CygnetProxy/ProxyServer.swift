public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix

/// The running proxy: the public listener, the optional control API listener and the routes
/// they share. Start it with `start(configuration:group:logger:)`, end it with `shutdown()`.
public final class ProxyServer: Sendable {
    public let routes: RouteStore
    /// Where the public listener is bound (useful with port 0).
    public let proxyAddress: SocketAddress
    public let apiAddress: SocketAddress?
    private let listeners: [any Channel]
    private let connections: ConnectionTracker
    private let pools: UpstreamPools
    private let shutdownGracePeriod: Duration

    private init(
        routes: RouteStore,
        listeners: [any Channel],
        connections: ConnectionTracker,
        pools: UpstreamPools,
        shutdownGracePeriod: Duration
    ) throws {
        self.routes = routes
        self.listeners = listeners
        self.connections = connections
        self.pools = pools
        self.shutdownGracePeriod = shutdownGracePeriod
        guard let proxyAddress = listeners[0].localAddress else { throw ChannelError.unknownLocalAddress }
        self.proxyAddress = proxyAddress
        self.apiAddress = listeners.count > 1 ? listeners[1].localAddress : nil
    }

    public static func start(
        configuration: ProxyConfiguration,
        group: any EventLoopGroup,
        logger: Logger
    ) async throws -> ProxyServer {
        let routes = RouteStore()
        if let defaultTarget = configuration.defaultTarget {
            routes.add(prefix: "/", target: defaultTarget)
        }
        for (prefix, target) in configuration.routes {
            routes.add(prefix: prefix, target: target)
        }
        let connections = ConnectionTracker()
        let pools = UpstreamPools(
            group: group,
            connectTimeout: configuration.connectTimeout,
            maxIdlePerTarget: configuration.maxIdleConnectionsPerTarget
        )
        var listeners = [
            try await bindProxy(
                configuration: configuration,
                routes: routes,
                pools: pools,
                connections: connections,
                group: group,
                logger: logger
            )
        ]
        do {
            if let apiListen = configuration.apiListen {
                let api = ControlAPI(routes: routes, token: configuration.apiToken)
                listeners.append(try await bindAPI(apiListen, api: api, connections: connections, group: group))
            }
            return try ProxyServer(
                routes: routes,
                listeners: listeners,
                connections: connections,
                pools: pools,
                shutdownGracePeriod: configuration.shutdownGracePeriod
            )
        } catch {
            for listener in listeners { try? await listener.close() }
            throw error
        }
    }

    private static func bindProxy(
        configuration: ProxyConfiguration,
        routes: RouteStore,
        pools: UpstreamPools,
        connections: ConnectionTracker,
        group: any EventLoopGroup,
        logger: Logger
    ) async throws -> any Channel {
        let limits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.maxRequestHeadBytes
            limits.maxHeaderListSize = configuration.maxRequestHeadBytes
            return limits
        }()
        let trustForwarded = configuration.trustForwarded
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    // Framing headers are set by `ResponseRewriter`, which knows the request method.
                    var encoderConfiguration = HTTPResponseEncoder.Configuration()
                    encoderConfiguration.automaticallySetFramingHeaders = false
                    let rewriter = RequestRewriter(
                        clientAddress: channel.remoteAddress?.ipAddress ?? "unknown",
                        trustForwarded: trustForwarded
                    )
                    try channel.pipeline.syncOperations.addHandlers([
                        HTTPResponseEncoder(configuration: encoderConfiguration),
                        // Leftover bytes are forwarded so the first frames of an upgraded
                        // connection survive the switch.
                        ByteToMessageHandler(
                            HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: limits)
                        ),
                        ProxyHandler(
                            routes: routes,
                            pool: pools.pool(for: channel.eventLoop),
                            rewriter: rewriter,
                            logger: logger
                        ),
                    ])
                }
            }
            .bind(host: configuration.listen.host, port: configuration.listen.port)
            .get()
    }

    private static func bindAPI(
        _ address: HostAndPort,
        api: ControlAPI,
        connections: ConnectionTracker,
        group: any EventLoopGroup
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 1 << 20),
                        ControlAPIHandler(api: api),
                    ])
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }

    /// Stops accepting, lets requests in flight finish for up to the grace period, then closes
    /// whatever is left. Idle keep-alive connections and WebSocket tunnels close at once. The
    /// event loop group stays up; it belongs to the caller.
    public func shutdown() async {
        for listener in listeners {
            try? await listener.close()
        }
        let open = connections.open
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for channel in open {
                    try? await channel.closeFuture.get()
                }
            }
            tasks.addTask { [shutdownGracePeriod] in
                try? await Task.sleep(for: shutdownGracePeriod)
            }
            await tasks.next()
            for channel in connections.open {
                channel.close(promise: nil)
            }
            tasks.cancelAll()
        }
        await pools.closeIdleConnections()
    }
}
