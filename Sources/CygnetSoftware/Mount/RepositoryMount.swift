import CygnetFUSE
import Foundation
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// `cygnet-software mount`: verifies the repository, mounts it, checks for a new revision every TTL and
/// switches to it atomically, reports status, and unmounts on SIGTERM/SIGINT.
public struct RepositoryMount: Service {
    let options: MountOptions
    let logger: Logger

    public init(options: MountOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Mounts and serves until SIGTERM or SIGINT, then unmounts.
    public static func runUntilSignalled(options: MountOptions, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [RepositoryMount(options: options, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    public func run() async throws {
        let keys = try options.masterKeys.map { url in
            guard let pem = try? Data(contentsOf: url) else {
                throw SoftwareError(.notFound, "cannot read the master key \(url.path)")
            }
            return try RSAKey.publicKey(pem: Array(pem))
        }
        let cache = try ObjectCache(directory: options.cacheDirectory, quota: options.cacheQuota)
        let client = try RepositoryClient(
            name: options.repository, servers: options.servers, proxies: options.proxies, cache: cache,
            trustedMasterKeys: keys, timeouts: (options.connectTimeout, 5, options.transferTimeout))
        let (revision, fromCache) = try await firstRevision(client)
        let fileSystem = RepositoryFileSystem(client: client, revision: revision, logger: logger)
        let mount = FUSEMount(
            fileSystem: fileSystem, mountPoint: options.mountPoint,
            options: FUSEMountOptions(
                fileSystemName: options.repository.description, subtype: "cygnet", allowOther: options.allowOther,
                skipOpenRequests: true),
            logger: logger)
        let checks = RevisionChecks()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await mount.run {
                        logger.info(
                            "mounted",
                            metadata: [
                                "repository": "\(options.repository)", "revision": "\(revision.manifest.revision)",
                            ])
                    }
                }
                group.addTask {
                    try await refreshLoop(
                        client: client, fileSystem: fileSystem, mount: mount, checks: checks,
                        failures: fromCache ? 1 : 0)
                }
                group.addTask { try await reportLoop(client: client, fileSystem: fileSystem, checks: checks) }
                try await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            mount.unmount()
        }
        try? FileManager.default.removeItem(
            at: MountStatus.file(cacheDirectory: options.cacheDirectory, repository: options.repository.description))
    }

    /// The servers' revision, or with every server down the last one this machine verified (then `true`).
    /// Servers that refuse connections get a few seconds first: started together with the mount (as `cygnet up`
    /// does), the server may not listen yet.
    private func firstRevision(_ client: RepositoryClient) async throws -> (RepositoryRevision, Bool) {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                guard
                    let revision = try await NIOThreadPool.singleton.runIfActive({
                        try client.loadRevision(replacing: nil)
                    })
                else {
                    throw SoftwareError(.notFound, "no revision")
                }
                return (revision, false)
            } catch let error as SoftwareError where error.code == .network {
                guard ContinuousClock.now < deadline else { return try startFromCache(client, after: error) }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    private func startFromCache(_ client: RepositoryClient, after error: SoftwareError) throws
        -> (RepositoryRevision, Bool)
    {
        guard let cached = try? client.cachedRevision() else { throw error }
        logger.warning(
            "no server answers; mounting the cached revision",
            metadata: ["revision": "\(cached.manifest.revision)", "error": "\(error)"])
        return (cached, true)
    }

    /// Checks for a new revision every TTL; after a failed check (or a start from the cache) sooner, backing off
    /// from 2 s, so a server that comes back is noticed quickly.
    private func refreshLoop(
        client: RepositoryClient, fileSystem: RepositoryFileSystem, mount: FUSEMount, checks: RevisionChecks,
        failures initialFailures: Int
    ) async throws {
        var failures = initialFailures
        while !Task.isCancelled {
            let current = fileSystem.currentRevision
            let ttl = max(1, min(options.maximumTimeToLive, current.root.timeToLive))
            try await Task.sleep(for: .seconds(failures == 0 ? ttl : min(ttl, 1 << min(failures, 8))))
            do {
                let next = try await NIOThreadPool.singleton.runIfActive { try client.loadRevision(replacing: current) }
                checks.record(error: nil)
                failures = 0
                guard let next else { continue }
                let names = fileSystem.switchTo(next)
                for name in names { try? mount.invalidateEntry(parent: 1, name: name) }
                try? mount.invalidateInode(1)
                logger.info(
                    "switched to a new revision",
                    metadata: ["from": "\(current.manifest.revision)", "to": "\(next.manifest.revision)"])
            } catch {
                failures += 1
                checks.record(error: "\(error)")
                logger.warning(
                    "cannot check for a new revision; keeping the current one", metadata: ["error": "\(error)"])
            }
        }
    }

    private func reportLoop(client: RepositoryClient, fileSystem: RepositoryFileSystem, checks: RevisionChecks)
        async throws
    {
        while !Task.isCancelled {
            try? client.cache.flushAccessTimes()
            let usage = try? client.cache.usage()
            let manifest = fileSystem.currentRevision.manifest
            let (lastCheck, lastError) = checks.last
            let status = MountStatus(
                repository: options.repository.description, mountPoint: options.mountPoint, processID: getpid(),
                revision: manifest.revision, publishedAt: manifest.publishedAt, lastCheck: lastCheck,
                lastCheckError: lastError, cacheBytes: usage?.bytes ?? 0, cacheQuota: client.cache.quota,
                cacheObjects: usage?.objects ?? 0, cacheHits: usage?.hits ?? 0, cacheMisses: usage?.misses ?? 0,
                bytesFetched: usage?.bytesFetched ?? 0, droppedObjects: usage?.dropped,
                servers: client.servers.health.map {
                    MountStatus.Server(
                        route: $0.route.description, healthy: $0.healthy, lastError: $0.lastError,
                        failures: $0.failures, requests: $0.requests)
                }, updatedAt: Date())
            try? status.write(cacheDirectory: options.cacheDirectory)
            try await Task.sleep(for: .seconds(2))
        }
    }
}

/// When the mount last asked the servers for a new revision, and what went wrong if it did.
final class RevisionChecks: Sendable {
    private let state = Mutex<(Date?, String?)>((nil, nil))

    func record(error: String?) { state.withLock { $0 = (Date(), error) } }

    var last: (Date?, String?) { state.withLock { $0 } }
}
