import ArgumentParser
import CygnetRuntime
import CygnetSoftware
import Foundation
import Logging

struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount a repository read-only at a folder (stays in the foreground; Ctrl-C unmounts).",
        discussion: """
            Files are fetched from the servers the first time they are read, checked against their hash and kept \
            in the cache, which all mounts on this machine share. Every --ttl seconds the mount looks for a newer \
            revision. Example: cygnet-software mount software.cygnet.local /cvmfs/software.cygnet.local \
            --server http://127.0.0.1:8000/cvmfs
            """)

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name.")
    var repository: String

    @Argument(help: "The folder to mount it at (created if missing).")
    var mountPoint: String

    @Option(name: .customLong("server"), help: "A server's base URL; repeat for failover, tried in order.")
    var servers: [String] = []

    @Option(name: .customLong("proxy"), help: "An HTTP proxy (http://host:3128) or DIRECT; repeat for failover.")
    var proxies: [String] = []

    @Option(
        name: .customLong("master-key"),
        help: "A trusted master public key (PEM). Default: <software-dir>/keys/<repository>.pub.")
    var masterKeys: [String] = []

    @Option(help: "The cache folder shared by all mounts. Default: <software-dir>/cache.")
    var cacheDir: String?

    @Option(help: "The most the cache may hold, in MiB.")
    var cacheQuotaMb: Int = 10240

    @Option(help: "Seconds between checks for a new revision (at most; the repository may ask for less).")
    var ttl: Int = 240

    @Option(help: "Seconds before a server that does not answer counts as down.")
    var timeout: Double = 10

    func validate() throws {
        guard !servers.isEmpty else { throw ValidationError("give at least one --server URL") }
        guard cacheQuotaMb >= 16 else { throw ValidationError("--cache-quota-mb must be at least 16") }
        guard (1...86400).contains(ttl) else { throw ValidationError("--ttl must be between 1 and 86400 seconds") }
        guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 s") }
    }

    func run() async throws {
        StructuredLogHandler.bootstrap(level: .info, format: .text)
        let logger = Logger(label: "cygnet-software")
        let name = try RepositoryName(repository)
        let keys =
            masterKeys.isEmpty
            ? [location.keys.appending(path: "\(name).pub")] : masterKeys.map { URL(filePath: $0) }
        try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let options = MountOptions(
            repository: name, mountPoint: URL(filePath: mountPoint).standardizedFileURL.path, servers: servers,
            proxies: proxies, masterKeys: keys,
            cacheDirectory: cacheDir.map { URL(filePath: $0) } ?? location.root.appending(path: "cache"),
            cacheQuota: Int64(cacheQuotaMb) << 20, maximumTimeToLive: ttl, connectTimeout: min(timeout, 5),
            transferTimeout: timeout)
        try await RepositoryMount.runUntilSignalled(options: options, logger: logger)
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the mounts on this machine: revision, cache use, servers.")

    @OptionGroup var location: SoftwareLocation

    @Option(help: "The cache folder the mounts use. Default: <software-dir>/cache.")
    var cacheDir: String?

    func run() async throws {
        let cache = cacheDir.map { URL(filePath: $0) } ?? location.root.appending(path: "cache")
        let mounts = MountStatus.all(cacheDirectory: cache)
        if mounts.isEmpty { print("No repository is mounted (cache: \(cache.path)).") }
        for (status, running) in mounts {
            let state = running ? "mounted" : "not running (stale status)"
            print("\(status.repository) at \(status.mountPoint): \(state), revision \(status.revision)")
            print(
                "  cache: \(status.cacheBytes / 1_048_576) of \(status.cacheQuota / 1_048_576) MiB, "
                    + "\(status.cacheObjects) objects, hit rate \(Int(status.hitRate * 100))% "
                    + "(\(status.cacheHits) hits, \(status.cacheMisses) misses)")
            if let dropped = status.droppedObjects, dropped > 0 {
                print("  \(dropped) damaged objects found in the cache, dropped and fetched again")
            }
            if let error = status.lastCheckError { print("  last check for a new revision failed: \(error)") }
            for server in status.servers {
                let health = server.healthy ? "ok" : "failing (\(server.lastError ?? "unknown"))"
                print("  server \(server.route): \(health), \(server.requests) requests, \(server.failures) failures")
            }
        }
    }
}
