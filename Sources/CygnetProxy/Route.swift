/// One entry of the routing table: requests whose path starts with `prefix` (on a segment
/// boundary) go to `target`.
public struct Route: Sendable {
    public let prefix: String
    public let target: UpstreamTarget
    /// Extra keys the hub posted with the route, returned as they came.
    public let data: [String: JSONValue]
    public let activity: RouteActivity

    init(prefix: String, target: UpstreamTarget, data: [String: JSONValue] = [:]) {
        self.prefix = prefix
        self.target = target
        self.data = data
        self.activity = RouteActivity()
    }
}
