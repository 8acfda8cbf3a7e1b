import CygnetRuntime
import Foundation
public import Hummingbird
public import NIOCore

/// The request context of cygnet-auth: Hummingbird's core storage plus the peer address, used for throttling.
public struct AuthRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public init(source: some RequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = nil
    }
}

extension Request {
    /// The client's address for throttling. `X-Forwarded-For` is believed only from a loopback peer, which in
    /// every Cygnet deployment is our own front-door proxy.
    func clientAddress(context: AuthRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        let isLoopback = peer == "127.0.0.1" || peer == "::1" || peer.hasPrefix("127.")
        if isLoopback, let forwarded = headers[.init("X-Forwarded-For")!] {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingWhitespace() }
            if let last, !last.isEmpty { return last }
        }
        return peer
    }
}
