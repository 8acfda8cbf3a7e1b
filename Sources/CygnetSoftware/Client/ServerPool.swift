import Foundation
import Synchronization

/// The servers (and HTTP proxies) a mount fetches from, with failover: each request starts at the last route
/// that worked, and a route that failed is tried again only after a back-off or when nothing else is left.
public final class ServerPool: Sendable {
    /// One way to reach the repository: a server URL, directly or through a proxy.
    public struct Route: Sendable, Hashable {
        public var server: String
        public var proxy: String?

        public var description: String { proxy.map { "\(server) via \($0)" } ?? server }
    }

    /// What `status` shows per route.
    public struct Health: Sendable {
        public var route: Route
        public var healthy: Bool
        public var lastError: String?
        public var failures: Int
        public var requests: Int
    }

    private struct State {
        var health: [Health]
        var preferred = 0
        var retryAfter: [Date?]
    }

    private let fetcher: HTTPFetcher
    private let state: Mutex<State>
    private let backOff: TimeInterval = 30

    /// `servers` are base URLs such as `http://host:8000/cvmfs/@fqrn@` (the repository name replaces `@fqrn@`, or
    /// is appended); `proxies` are `http://proxy:3128` or `DIRECT`.
    init(repository: RepositoryName, servers: [String], proxies: [String], timeouts: HTTPFetcher.Timeouts) throws {
        guard !servers.isEmpty else {
            throw SoftwareError(.invalidArgument, "no server given for \(repository); pass --server URL")
        }
        var routes: [Route] = []
        for proxy in proxies.isEmpty ? ["DIRECT"] : proxies {
            for server in servers {
                guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil
                else {
                    throw SoftwareError(.invalidArgument, "'\(server)' is not an http:// or https:// server address")
                }
                var base = server.hasSuffix("/") ? String(server.dropLast()) : server
                base =
                    base.contains("@fqrn@")
                    ? base.replacingOccurrences(of: "@fqrn@", with: repository.description)
                    : base + "/" + repository.description
                routes.append(Route(server: base, proxy: proxy.uppercased() == "DIRECT" ? nil : proxy))
            }
        }
        fetcher = HTTPFetcher(timeouts: timeouts)
        state = Mutex(
            State(
                health: routes.map { Health(route: $0, healthy: true, lastError: nil, failures: 0, requests: 0) },
                retryAfter: Array(repeating: nil, count: routes.count)))
    }

    public var health: [Health] { state.withLock { $0.health } }

    /// The route requests start with now (the last one that worked).
    public var current: Route { state.withLock { $0.health[$0.preferred].route } }

    /// Fetches `relativePath` from the first route that answers with bytes `accept` takes; `accept` throws to
    /// reject (a hash mismatch), which counts against that route and moves on to the next.
    func fetch(_ relativePath: String, limit: Int = 1 << 32, accept: ([UInt8]) throws -> Void) throws -> [UInt8] {
        var errors: [String] = []
        for index in order() {
            let route = state.withLock { $0.health[index].route }
            switch fetcher.get(route.server + "/" + relativePath, proxy: route.proxy, limit: limit) {
            case .success(let bytes):
                do {
                    try accept(bytes)
                    succeeded(index)
                    return bytes
                } catch {
                    failed(index, reason: "\(error)")
                    errors.append("\(route.description): \(error)")
                }
            case .failure(.status(404)):
                // Not a fault of the server: the object is not there (an older revision was collected).
                succeeded(index)
                errors.append("\(route.description): not found (404)")
            case .failure(let failure):
                let reason = Self.describe(failure)
                failed(index, reason: reason)
                errors.append("\(route.description): \(reason)")
            }
        }
        throw SoftwareError(.network, "cannot fetch \(relativePath): " + errors.joined(separator: "; "))
    }

    /// Routes to try: preferred first, then the other healthy ones, then those still backing off.
    private func order() -> [Int] {
        state.withLock { state in
            let now = Date()
            let count = state.health.count
            let rotated = (0..<count).map { (state.preferred + $0) % count }
            let ready = rotated.filter { state.retryAfter[$0].map { $0 <= now } ?? true }
            return ready + rotated.filter { !ready.contains($0) }
        }
    }

    private func succeeded(_ index: Int) {
        state.withLock { state in
            state.health[index].healthy = true
            state.health[index].requests += 1
            state.retryAfter[index] = nil
            state.preferred = index
        }
    }

    private func failed(_ index: Int, reason: String) {
        state.withLock { state in
            state.health[index].healthy = false
            state.health[index].lastError = reason
            state.health[index].failures += 1
            state.health[index].requests += 1
            state.retryAfter[index] = Date().addingTimeInterval(backOff)
            if state.preferred == index { state.preferred = (index + 1) % state.health.count }
        }
    }

    private static func describe(_ failure: HTTPFetcher.Failure) -> String {
        switch failure {
        case .transport(let message): message
        case .status(let status): "HTTP \(status)"
        case .tooLarge: "the answer is larger than expected"
        }
    }
}
