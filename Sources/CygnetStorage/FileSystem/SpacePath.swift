import NIOCore

/// A path inside one user's space, checked at the edge: no empty, `.` or `..` segments, no NUL, no slash hidden
/// in a percent-encoded segment, no over-long names. The root is the empty path.
public struct SpacePath: Hashable, Sendable, CustomStringConvertible {
    public private(set) var segments: [String]

    /// The longest file name Linux file systems take (bytes).
    static let maximumNameLength = 255

    public static let root = SpacePath(checkedSegments: [])

    init(checkedSegments: [String]) {
        self.segments = checkedSegments
    }

    /// Decodes a percent-encoded URL path below a DAV root (`a/b%20c/`), refusing anything that could name a place
    /// outside the space.
    public init(encoded: Substring) throws(StorageError) {
        var segments: [String] = []
        for raw in encoded.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = Self.percentDecoded(raw) else {
                throw StorageError(.badRequest, "The path has a malformed percent-encoding: \(raw)")
            }
            try Self.check(decoded)
            segments.append(decoded)
        }
        self.segments = segments
    }

    /// A path given without encoding (a bulk upload's `X-File-Path`, a share's `path`).
    public init(plain: String) throws(StorageError) {
        var segments: [String] = []
        for part in plain.split(separator: "/", omittingEmptySubsequences: true) {
            try Self.check(String(part))
            segments.append(String(part))
        }
        self.segments = segments
    }

    static func check(_ name: String) throws(StorageError) {
        guard name != ".", name != ".." else {
            throw StorageError(.badRequest, "Paths may not contain '.' or '..' segments")
        }
        guard !name.utf8.contains(0), !name.contains("/") else {
            throw StorageError(.badRequest, "A name may not contain '/' or NUL characters: \(name.debugDescription)")
        }
        guard name.utf8.count <= maximumNameLength else {
            throw StorageError(.badRequest, "A name is longer than \(maximumNameLength) bytes")
        }
    }

    static func percentDecoded(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public var isRoot: Bool { segments.isEmpty }
    public var name: String { segments.last ?? "" }
    /// The path as stored in the metadata tables: segments joined by `/`, empty for the root.
    public var description: String { segments.joined(separator: "/") }

    public var parent: SpacePath? {
        isRoot ? nil : SpacePath(checkedSegments: Array(segments.dropLast()))
    }

    public func appending(_ name: String) -> SpacePath {
        SpacePath(checkedSegments: segments + [name])
    }

    /// True when `self` is `other` or lies below it.
    public func isWithin(_ other: SpacePath) -> Bool {
        segments.count >= other.segments.count && Array(segments.prefix(other.segments.count)) == other.segments
    }

    /// The path relative to the space root as the kernel takes it (`.` for the root).
    var relative: String { isRoot ? "." : description }

    /// Percent-encodes for an href; folders get a trailing slash.
    public func encoded(isDirectory: Bool) -> String {
        var text = segments.map(Self.percentEncoded).joined(separator: "/")
        if isDirectory && !isRoot { text += "/" }
        return text
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func writePercentEncoded(_ segment: String, to buffer: inout ByteBuffer) {
        if segment.utf8.allSatisfy(isUnreserved) {
            buffer.writeString(segment)
            return
        }
        for byte in segment.utf8 {
            if isUnreserved(byte) {
                buffer.writeInteger(byte)
            } else {
                buffer.writeInteger(UInt8(ascii: "%"))
                buffer.writeInteger(hexDigits[Int(byte >> 4)])
                buffer.writeInteger(hexDigits[Int(byte & 0xF)])
            }
        }
    }

    static func percentEncoded(_ segment: String) -> String {
        var result = ""
        result.reserveCapacity(segment.utf8.count)
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return result
    }
}
