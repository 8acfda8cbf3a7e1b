import CygnetRuntime

/// Where people reach this Cygnet (the front host and port, where cygnet-proxy listens) and the loopback ports of the
/// services behind it, numbered from the front port so two appliances on one machine do not collide.
struct FrontDoor: Sendable, Equatable {
    var host: String
    var port: Int

    static let defaultHost = "127.0.0.1"
    static let defaultPort = 8000

    /// The settings file's front door: `proxy.host` and `proxy.port`. Files written before the proxy existed named
    /// cygnet-auth's address (`auth.host`, `auth.port`) as the front door; they keep working.
    init(reading settings: SettingsReader) throws {
        if settings.optionalString("proxy.port") != nil || settings.optionalString("proxy.host") != nil {
            host = try settings.string("proxy.host", default: Self.defaultHost)
            port = try settings.int("proxy.port", default: Self.defaultPort, range: 1...65530)
        } else {
            host = try settings.string("auth.host", default: Self.defaultHost)
            port = try settings.int("auth.port", default: Self.defaultPort, range: 1...65530)
        }
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The services behind the proxy listen on loopback only.
    var internalHost: String { "127.0.0.1" }
    var authListenHost: String { internalHost }
    var authListenPort: Int { port + 1 }
    var proxyAPIPort: Int { port + 2 }
    var hubListenPort: Int { port + 3 }
    var softwareListenPort: Int { port + 4 }
    var storageListenPort: Int { port + 5 }
    var internalPorts: [Int] { [authListenPort, proxyAPIPort, hubListenPort, storageListenPort] }

    /// Where `cygnet up` checks that each service answers.
    var authHealthURL: String { "http://\(internalHost):\(authListenPort)/auth/healthz" }
    var hubHealthURL: String { "http://\(internalHost):\(hubListenPort)/hub/healthz" }
    var proxyHealthURL: String { "http://\(internalHost):\(proxyAPIPort)/api/healthz" }
    var storageHealthURL: String { "http://\(internalHost):\(storageListenPort)/storage/healthz" }
    /// Through the front door: what people's browsers reach.
    var frontHealthURL: String { "http://\(Self.urlHost(Self.reachableHost(host))):\(port)/auth/healthz" }

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
