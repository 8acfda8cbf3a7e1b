/// The `flags` column of a catalog row.
public struct CatalogFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    public static let directory = CatalogFlags(rawValue: 1)
    public static let nestedMountpoint = CatalogFlags(rawValue: 2)
    public static let file = CatalogFlags(rawValue: 4)
    public static let link = CatalogFlags(rawValue: 8)
    public static let special = CatalogFlags(rawValue: 16)
    public static let nestedRoot = CatalogFlags(rawValue: 32)
    public static let chunked = CatalogFlags(rawValue: 64)
    public static let external = CatalogFlags(rawValue: 128)
    public static let bindMountpoint = CatalogFlags(rawValue: 0x4000)
    public static let hidden = CatalogFlags(rawValue: 0x8000)
    public static let directIO = CatalogFlags(rawValue: 0x10000)

    private static let algorithmShift: Int64 = 8
    private static let algorithmMask: Int64 = 0x7 << 8
    private static let compressionShift: Int64 = 11
    private static let compressionMask: Int64 = 0x7 << 11

    /// The content hash algorithm of a file's objects (bits 8–10: 0 SHA-1, 1 RIPEMD-160, 2 SHAKE-128).
    public var algorithm: HashAlgorithm {
        get { HashAlgorithm(rawValue: Int((rawValue & Self.algorithmMask) >> Self.algorithmShift)) ?? .sha1 }
        set {
            self = CatalogFlags(
                rawValue: rawValue & ~Self.algorithmMask | Int64(newValue.rawValue) << Self.algorithmShift)
        }
    }

    /// Whether the file's objects are zlib streams or raw bytes.
    public var isCompressed: Bool {
        get { (rawValue & Self.compressionMask) >> Self.compressionShift == 0 }
        set {
            self = CatalogFlags(
                rawValue: rawValue & ~Self.compressionMask | (newValue ? 0 : 1) << Self.compressionShift)
        }
    }
}
