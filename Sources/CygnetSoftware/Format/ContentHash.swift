import CygnetRuntime
public import Foundation

/// A content hash: the name of an object, computed over its stored (usually compressed) bytes.
public struct ContentHash: Hashable, Sendable, CustomStringConvertible {
    public let algorithm: HashAlgorithm
    public let digest: [UInt8]

    public init(algorithm: HashAlgorithm, digest: [UInt8]) {
        precondition(digest.count == HashAlgorithm.digestLength, "content digests are 20 bytes")
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Parses "hex" plus an optional algorithm suffix, as in manifests and `nested_catalogs.sha1`.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        let hexLength = HashAlgorithm.digestLength * 2
        guard text.utf8.count >= hexLength else { return nil }
        let hex = text.prefix(hexLength)
        let suffix = String(text.dropFirst(hexLength))
        guard let algorithm = HashAlgorithm.allCases.first(where: { $0.suffix == suffix }),
            let bytes = [UInt8](hexadecimal: hex)
        else { return nil }
        self.init(algorithm: algorithm, digest: bytes)
    }

    /// Lowercase hex digest followed by the algorithm suffix.
    public var description: String { digest.hexadecimal + algorithm.suffix }

    /// The object's path under the repository root: `data/<2 hex>/<rest><kind>`.
    public func objectPath(_ kind: ObjectKind) -> String {
        let name = description
        return "data/\(name.prefix(2))/\(name.dropFirst(2))\(kind.suffix)"
    }

    /// The hash of some bytes, in one call.
    public static func of(_ bytes: some DataProtocol, algorithm: HashAlgorithm) -> ContentHash {
        let hasher = ContentHasher(algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }
}

extension [UInt8] {
    init?(hexadecimal text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
