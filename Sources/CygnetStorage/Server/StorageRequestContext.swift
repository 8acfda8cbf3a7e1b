public import Hummingbird

/// Request context of cygnet-storage: who the request was authenticated as, once the authenticator ran.
public struct StorageRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.user = nil
    }
}
