public import Foundation

/// What `publish` is asked to do.
public struct PublishOptions: Sendable {
    public var source: URL
    public var tag: String?
    public var tagDescription: String
    public var algorithm: HashAlgorithm
    /// zlib level for file contents (1 fastest … 9 smallest).
    public var compressionLevel: Int32
    public var chunking: Bool
    public var extendedAttributes: Bool
    /// How long clients may keep a root catalog before asking for a newer one, in seconds.
    public var timeToLive: Int
    public var workers: Int

    public init(
        source: URL, tag: String? = nil, tagDescription: String = "", algorithm: HashAlgorithm = .sha1,
        compressionLevel: Int32 = 1, chunking: Bool = true, extendedAttributes: Bool = true, timeToLive: Int = 240,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.source = source
        self.tag = tag
        self.tagDescription = tagDescription
        self.algorithm = algorithm
        self.compressionLevel = compressionLevel
        self.chunking = chunking
        self.extendedAttributes = extendedAttributes
        self.timeToLive = timeToLive
        self.workers = max(1, workers)
    }
}

/// Progress of a publish, for a command line or a log.
public enum PublishProgress: Sendable {
    case scanned(entries: Int, changedFiles: Int)
    case hashed(files: Int, of: Int, bytes: Int64)
    case writingCatalogs
}

/// What a publish did.
public struct PublishReport: Sendable {
    public var revision: Int
    public var rootCatalog: ContentHash
    public var entries: Int
    public var catalogs: Int
    public var filesHashed: Int
    public var bytesHashed: Int64
    public var filesReused: Int
}
