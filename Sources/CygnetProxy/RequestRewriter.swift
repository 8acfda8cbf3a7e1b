import NIOHTTP1

/// Turns the head a client sent into the head sent upstream: drops hop-by-hop headers and
/// states who the client was. The client is untrusted, so unless the operator says another
/// proxy sits in front, any `X-Forwarded-*` it sent is replaced rather than believed.
struct RequestRewriter {
    let clientAddress: String
    let trustForwarded: Bool

    func upstreamHead(from head: HTTPRequestHead, target: UpstreamTarget, isUpgrade: Bool) -> HTTPRequestHead {
        let connectionOptions = HeaderName.connectionOptions(head.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 4)
        var host: String?
        var forwardedFor: String?
        var trustedProto = false
        var trustedHost = false
        var trustedPort = false

        for (name, value) in head.headers {
            if HeaderName.hasPrefix(name, "x-forwarded-") {
                guard trustForwarded else { continue }
                if HeaderName.matches(name, "x-forwarded-for") {
                    forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
                    continue
                }
                trustedProto = trustedProto || HeaderName.matches(name, "x-forwarded-proto")
                trustedHost = trustedHost || HeaderName.matches(name, "x-forwarded-host")
                trustedPort = trustedPort || HeaderName.matches(name, "x-forwarded-port")
            } else if HeaderName.isHopByHop(name) {
                // An upgrade is negotiated end to end, so its two headers must reach the backend.
                guard isUpgrade, HeaderName.matches(name, "connection") || HeaderName.matches(name, "upgrade")
                else { continue }
            } else if HeaderName.isListed(name, in: connectionOptions) {
                continue
            } else if HeaderName.matches(name, "host") {
                host = value
            }
            headers.add(name: name, value: value)
        }

        if host == nil {
            headers.add(name: "host", value: target.address.description)
        }
        headers.add(name: "x-forwarded-for", value: forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress)
        if !trustedProto {
            headers.add(name: "x-forwarded-proto", value: "http")
        }
        if !trustedHost, let host {
            headers.add(name: "x-forwarded-host", value: host)
        }
        if !trustedPort {
            headers.add(name: "x-forwarded-port", value: Self.port(ofHost: host) ?? "80")
        }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The port the client addressed, as written in its Host header (`[::1]:8000` → `8000`).
    private static func port(ofHost host: String?) -> String? {
        guard let host, let colon = host.utf8.lastIndex(of: UInt8(ascii: ":")),
            !host.utf8[colon...].contains(UInt8(ascii: "]"))
        else { return nil }
        return String(host[host.utf8.index(after: colon)...])
    }
}
