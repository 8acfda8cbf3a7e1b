public import Foundation

/// How `cygnet-software mount` reaches and keeps a repository.
public struct MountOptions: Sendable {
    public var repository: RepositoryName
    public var mountPoint: String
    /// Base URLs, tried in order with failover (`http://host:8000/cvmfs` or with `@fqrn@`).
    public var servers: [String]
    /// HTTP proxies, tried in order; empty or `DIRECT` means no proxy.
    public var proxies: [String]
    /// PEM public keys of master keys trusted to sign the whitelist.
    public var masterKeys: [URL]
    public var cacheDirectory: URL
    public var cacheQuota: Int64
    /// Upper bound for how long a revision is kept before checking for a newer one (the repository's TTL
    /// applies when shorter).
    public var maximumTimeToLive: Int
    public var connectTimeout: Double
    public var transferTimeout: Double
    public var allowOther: Bool

    public init(
        repository: RepositoryName, mountPoint: String, servers: [String], proxies: [String] = [], masterKeys: [URL],
        cacheDirectory: URL, cacheQuota: Int64 = 10 << 30, maximumTimeToLive: Int = 240, connectTimeout: Double = 3,
        transferTimeout: Double = 30, allowOther: Bool = getuid() == 0
    ) {
        self.repository = repository
        self.mountPoint = mountPoint
        self.servers = servers
        self.proxies = proxies
        self.masterKeys = masterKeys
        self.cacheDirectory = cacheDirectory
        self.cacheQuota = cacheQuota
        self.maximumTimeToLive = maximumTimeToLive
        self.connectTimeout = connectTimeout
        self.transferTimeout = transferTimeout
        self.allowOther = allowOther
    }
}
