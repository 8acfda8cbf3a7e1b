/// Where people reach this Cygnet (the front host and port) and which service listens there.
///
/// Until the hub's proxy exists, cygnet-auth itself listens on the front port and serves `/auth/…` there. When the
/// proxy arrives it takes the front port and this type gives cygnet-auth a loopback port of its own: nothing else in
/// `cygnet up` needs to change.
struct FrontDoor: Sendable, Equatable {
    var host: String
    var port: Int

    static let defaultHost = "127.0.0.1"
    static let defaultPort = 8000

    /// The address cygnet-auth listens on (`auth.host`, `auth.port`).
    var authListenHost: String { host }
    var authListenPort: Int { port }

    /// Where `cygnet up` checks that the sign-in service answers.
    var authHealthURL: String {
        "http://\(Self.urlHost(Self.reachableHost(authListenHost))):\(authListenPort)/auth/healthz"
    }

    /// The public URL to suggest when none is configured.
    var defaultPublicURL: String {
        "http://\(Self.urlHost(Self.reachableHost(host))):\(port)"
    }

    /// A wildcard listen address is reached through loopback from this machine.
    static func reachableHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return host
        }
    }

    /// IPv6 literals need brackets inside a URL.
    static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
