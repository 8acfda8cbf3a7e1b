/// Where a route sends its traffic. Only plain `http://host:port` is accepted: the proxy
/// forwards the full request path itself, so a target path or query would be ambiguous.
public struct UpstreamTarget: Sendable, Hashable, CustomStringConvertible {
    public let address: HostAndPort

    public init(host: String, port: Int) {
        self.address = HostAndPort(host: host, port: port)
    }

    /// Parses `http://host:port` (a trailing `/` is tolerated; the port defaults to 80).
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        var rest = url.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains(where: { "/?#@ ".contains($0) }) else { return nil }
        if let address = HostAndPort(String(rest)) {
            guard address.port > 0 else { return nil }
            self.init(host: address.host, port: address.port)
        } else if rest.hasPrefix("["), rest.hasSuffix("]") {
            self.init(host: String(rest.dropFirst().dropLast()), port: 80)
        } else if !rest.contains(":") {
            self.init(host: String(rest), port: 80)
        } else {
            return nil
        }
    }

    public var description: String { "http://\(address)" }
}
