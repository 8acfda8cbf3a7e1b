/// An immutable view of all routes. Each request takes one snapshot and matches against it,
/// so route changes never have to coordinate with in-flight requests.
public struct RoutingTable: Sendable {
    public private(set) var routes: [String: Route] = [:]

    mutating func insert(_ route: Route) {
        routes[route.prefix] = route
    }

    mutating func remove(prefix: String) {
        routes[prefix] = nil
    }

    /// Longest prefix match on whole path segments: `/user/alice` serves `/user/alice` and
    /// `/user/alice/lab`, never `/user/alicex`. Walks up the path one segment at a time, so the
    /// cost depends on the depth of the request path, not on the number of routes.
    public func route(forRequestTarget uri: String) -> Route? {
        var path = uri[...]
        if let end = path.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            path = path[..<end]
        }
        while !path.isEmpty {
            if let route = routes[String(path)] {
                return route
            }
            guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { break }
            path = path[..<slash]
        }
        return routes["/"]
    }
}
