public import Hummingbird

/// The hub's request context: Hummingbird's core storage plus who is calling, once resolved.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: some RequestContextSource) {
        coreContext = .init(source: source)
    }
}
