import Foundation

/// The common frame of `.cvmfspublished` and `.cvmfswhitelist`: a text body, `--`, the hex hash of the body,
/// and a raw signature over that hex string.
public struct SignedDocument: Sendable {
    public let body: [UInt8]
    public let bodyHash: String
    public let signature: [UInt8]

    public init(body: [UInt8], bodyHash: String, signature: [UInt8]) {
        self.body = body
        self.bodyHash = bodyHash
        self.signature = signature
    }

    /// Splits at the first line that is exactly `--`; `what` names the file in errors.
    public init(parsing bytes: [UInt8], what: String) throws {
        let separator = Array("\n--\n".utf8)
        let start: Int
        if bytes.starts(with: Array("--\n".utf8)) {
            start = 0
        } else if let range = bytes.firstRange(of: separator) {
            start = range.lowerBound + 1
        } else {
            throw SoftwareError(.corrupt, "the \(what) has no '--' line: it is not a signed repository file")
        }
        body = Array(bytes[..<start])
        let afterSeparator = start + 3
        guard let newline = bytes[afterSeparator...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw SoftwareError(.corrupt, "the \(what) ends before its signature")
        }
        bodyHash = String(decoding: bytes[afterSeparator..<newline], as: UTF8.self)
        signature = Array(bytes[(newline + 1)...])
        guard !signature.isEmpty else { throw SoftwareError(.signature, "the \(what) is not signed") }
    }

    public var serialized: [UInt8] {
        body + Array("--\n\(bodyHash)\n".utf8) + signature
    }

    /// Checks that the hash line is the hash of the body with the given algorithm.
    public func verifyBodyHash(algorithm: HashAlgorithm, what: String) throws {
        let expected = ContentHash.of(body, algorithm: algorithm).description
        guard expected == bodyHash else {
            throw SoftwareError(.corrupt, "the \(what) was changed after it was signed (its hash does not match)")
        }
    }
}
