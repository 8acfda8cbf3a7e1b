import Crypto

/// A catalog row's key: the MD5 of the full path (`/a/b`, root ""), read as two little-endian signed 64-bit halves.
public struct PathKey: Hashable, Sendable {
    public let high: Int64
    public let low: Int64

    public init(high: Int64, low: Int64) {
        self.high = high
        self.low = low
    }

    /// `path` is the full repository path without a trailing slash; the root is empty.
    public init(path: some Collection<UInt8>) {
        let digest = Insecure.MD5.hash(data: Array(path))
        var words = (Int64(0), Int64(0))
        withUnsafeMutableBytes(of: &words) { destination in
            digest.withUnsafeBytes { destination.copyMemory(from: $0) }
        }
        self.init(high: Int64(littleEndian: words.0), low: Int64(littleEndian: words.1))
    }

    /// The parent key of the root catalog's root entry.
    public static let none = PathKey(high: 0, low: 0)
}

/// Joins repository paths as byte strings (names may hold any byte but `/` and NUL).
enum RepositoryPath {
    static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        parent + [UInt8(ascii: "/")] + name
    }

    static func string(_ path: [UInt8]) -> String {
        path.isEmpty ? "/" : String(decoding: path, as: UTF8.self)
    }

    /// Splits "/a/b" into ("/a", "b"); the root has no parent.
    static func split(_ path: [UInt8]) -> (parent: [UInt8], name: [UInt8])? {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return (Array(path[..<slash]), Array(path[(slash + 1)...]))
    }
}
