import CygnetProxy
import Logging
import NIOCore
import NIOPosix

let testToken = "test-token-0123456789"

/// Runs `body` against a proxy on ephemeral ports, shutting it down afterwards.
func withProxy<T>(
    defaultTarget: String? = nil,
    routes: [String: String] = [:],
    trustForwarded: Bool = false,
    _ body: (ProxyServer) async throws -> T
) async throws -> T {
    var configuration = ProxyConfiguration(listen: HostAndPort(host: "127.0.0.1", port: 0))
    configuration.apiListen = HostAndPort(host: "127.0.0.1", port: 0)
    configuration.apiToken = testToken
    configuration.shutdownGracePeriod = .seconds(2)
    configuration.defaultTarget = defaultTarget.flatMap(UpstreamTarget.init(url:))
    configuration.routes = routes.compactMapValues(UpstreamTarget.init(url:))
    configuration.trustForwarded = trustForwarded
    var logger = Logger(label: "cygnet-proxy-test")
    logger.logLevel = .critical
    let server = try await ProxyServer.start(
        configuration: configuration,
        group: MultiThreadedEventLoopGroup.singleton,
        logger: logger
    )
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

extension ProxyServer {
    var port: Int { proxyAddress.port! }
    var apiPort: Int { apiAddress!.port! }
}
