import Foundation

/// `.cvmfspublished`: the signed pointer to a repository's current root catalog.
public struct Manifest: Sendable, Equatable {
    public var rootCatalog: ContentHash
    public var rootCatalogSize: Int
    public var timeToLive: Int
    public var revision: Int
    public var garbageCollectable: Bool
    public var alternativeNames: Bool
    public var repositoryName: String
    public var certificate: ContentHash
    public var history: ContentHash?
    public var metaInfo: ContentHash?
    public var publishedAt: Int
    /// MD5 of the empty root path, the only value the reference client accepts in `R`.
    static let rootPathHash = "d41d8cd98f00b204e9800998ecf8427e"

    public init(
        rootCatalog: ContentHash, rootCatalogSize: Int, timeToLive: Int, revision: Int, repositoryName: String,
        certificate: ContentHash, history: ContentHash?, publishedAt: Int, garbageCollectable: Bool = true
    ) {
        self.rootCatalog = rootCatalog
        self.rootCatalogSize = rootCatalogSize
        self.timeToLive = timeToLive
        self.revision = revision
        self.garbageCollectable = garbageCollectable
        self.alternativeNames = false
        self.repositoryName = repositoryName
        self.certificate = certificate
        self.history = history
        self.metaInfo = nil
        self.publishedAt = publishedAt
    }

    /// The lines before `--`, in the reference publisher's order.
    public var body: String {
        var lines = [
            "C\(rootCatalog)", "B\(rootCatalogSize)", "R\(Self.rootPathHash)", "D\(timeToLive)", "S\(revision)",
            "G\(garbageCollectable ? "yes" : "no")", "A\(alternativeNames ? "yes" : "no")", "N\(repositoryName)",
            "X\(certificate)",
        ]
        if let history { lines.append("H\(history)") }
        lines.append("T\(publishedAt)")
        if let metaInfo { lines.append("M\(metaInfo)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the body (everything before `--`); the signature part is handled by `SignedDocument`.
    public init(body: String) throws {
        var fields: [Character: String] = [:]
        for line in body.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let key = line.first else { continue }
            fields[key] = String(line.dropFirst())
        }
        func required(_ key: Character, _ meaning: String) throws -> String {
            guard let value = fields[key], !value.isEmpty else {
                throw SoftwareError(.corrupt, "the manifest has no \(meaning) (line '\(key)')")
            }
            return value
        }
        func hash(_ key: Character, _ meaning: String) throws -> ContentHash {
            let text = try required(key, meaning)
            guard let hash = ContentHash(text) else {
                throw SoftwareError(.corrupt, "the manifest's \(meaning) '\(text)' is not a content hash")
            }
            return hash
        }
        func number(_ key: Character, _ meaning: String) throws -> Int {
            let text = try required(key, meaning)
            guard let value = Int(text), value >= 0 else {
                throw SoftwareError(.corrupt, "the manifest's \(meaning) '\(text)' is not a number")
            }
            return value
        }
        rootCatalog = try hash("C", "root catalog")
        guard try required("R", "root path hash") == Self.rootPathHash else {
            throw SoftwareError(.corrupt, "the manifest's root path hash is not that of the repository root")
        }
        timeToLive = try number("D", "time to live")
        revision = try number("S", "revision")
        rootCatalogSize = (try? number("B", "root catalog size")) ?? 0
        garbageCollectable = fields["G"] == "yes"
        alternativeNames = fields["A"] == "yes"
        repositoryName = fields["N"] ?? ""
        certificate = try hash("X", "certificate")
        history = fields["H"].flatMap { ContentHash($0) }
        metaInfo = fields["M"].flatMap { ContentHash($0) }
        publishedAt = (try? number("T", "publication time")) ?? 0
    }
}
