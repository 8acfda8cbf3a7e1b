public import NIOCore

/// Everything the proxy needs to know at start; routes added later come through the control API.
public struct ProxyConfiguration: Sendable {
    /// The public front door.
    public var listen: HostAndPort
    /// The control API; keep it on loopback, it can redirect all traffic.
    public var apiListen: HostAndPort?
    /// The secret the control API demands as `Authorization: token <secret>`.
    public var apiToken: String?
    /// Serves every path no other route claims.
    public var defaultTarget: UpstreamTarget?
    /// Routes known at start, by path prefix.
    public var routes: [String: UpstreamTarget] = [:]
    /// Believe `X-Forwarded-*` from clients: only right when another proxy sits in front.
    public var trustForwarded = false
    public var connectTimeout: TimeAmount = .seconds(10)
    public var maxIdleConnectionsPerTarget = 64
    public var maxRequestHeadBytes = 64 * 1024
    /// How long a shutdown waits for requests in flight before cutting them off.
    public var shutdownGracePeriod: Duration = .seconds(5)

    public init(listen: HostAndPort) {
        self.listen = listen
    }
}
