public import Foundation

/// What a running mount reports about itself, written to `<cache>/mounts/<repository>.json` every few seconds,
/// and read back by `cygnet-software status`.
public struct MountStatus: Codable, Sendable {
    public struct Server: Codable, Sendable {
        public var route: String
        public var healthy: Bool
        public var lastError: String?
        public var failures: Int
        public var requests: Int
    }

    public var repository: String
    public var mountPoint: String
    public var processID: Int32
    public var revision: Int
    public var publishedAt: Int
    public var lastCheck: Date?
    public var lastCheckError: String?
    public var cacheBytes: Int64
    public var cacheQuota: Int64
    public var cacheObjects: Int
    public var cacheHits: Int
    public var cacheMisses: Int
    public var bytesFetched: Int64
    /// Cached objects found damaged on disk, dropped and fetched again.
    public var droppedObjects: Int?
    public var servers: [Server]
    public var updatedAt: Date

    public var hitRate: Double {
        cacheHits + cacheMisses == 0 ? 1 : Double(cacheHits) / Double(cacheHits + cacheMisses)
    }

    static func file(cacheDirectory: URL, repository: String) -> URL {
        cacheDirectory.appending(path: "mounts/\(repository).json")
    }

    /// Every status file in the cache, with whether its process still runs.
    public static func all(cacheDirectory: URL) -> [(status: MountStatus, running: Bool)] {
        let directory = cacheDirectory.appending(path: "mounts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = try? Data(contentsOf: directory.appending(path: name)),
                let status = try? decoder.decode(MountStatus.self, from: data)
            else { return nil }
            return (status, kill(status.processID, 0) == 0)
        }
    }

    func write(cacheDirectory: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.makeDirectory(cacheDirectory.appending(path: "mounts"))
        let data = try encoder.encode(self)
        try AtomicFile.write(Array(data), to: Self.file(cacheDirectory: cacheDirectory, repository: repository))
    }
}
