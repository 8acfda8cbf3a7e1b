public import Hummingbird
public import NIOCore

/// Request context of cygnet-storage: who the request was authenticated as, once the authenticator ran.
public struct StorageRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: String?
    /// The client's connection: downloads hand it file regions (`FileRegionSender`).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.user = nil
    }
}
