import Synchronization

/// The shared, mutable routing table. Writers (the control API) are rare; readers take a
/// snapshot under a very short lock once per request and match outside of it.
public final class RouteStore: Sendable {
    private let table = Mutex(RoutingTable())

    public init() {}

    public func snapshot() -> RoutingTable {
        table.withLock { $0 }
    }

    public func add(prefix: String, target: UpstreamTarget, data: [String: JSONValue] = [:]) {
        let route = Route(prefix: RoutePrefix.normalize(prefix), target: target, data: data)
        table.withLock { $0.insert(route) }
    }

    public func remove(prefix: String) {
        let prefix = RoutePrefix.normalize(prefix)
        table.withLock { $0.remove(prefix: prefix) }
    }
}
