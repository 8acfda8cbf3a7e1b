/// The content hash algorithms of the CernVM-FS format. Digests are always 20 bytes (SHAKE-128 is cut to 160 bits).
public enum HashAlgorithm: Int, Sendable, CaseIterable, CustomStringConvertible {
    case sha1 = 0
    case rmd160 = 1
    case shake128 = 2

    /// What follows the hex digest in object names and manifests ("" for SHA-1).
    public var suffix: String {
        switch self {
        case .sha1: ""
        case .rmd160: "-rmd160"
        case .shake128: "-shake128"
        }
    }

    /// The spelling in whitelist fingerprints ("" for SHA-1).
    var fingerprintSuffix: String {
        switch self {
        case .sha1: ""
        case .rmd160: "-RMD160"
        case .shake128: "-SHAKE128"
        }
    }

    public var description: String {
        switch self {
        case .sha1: "sha1"
        case .rmd160: "rmd160"
        case .shake128: "shake128"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = match
    }

    static let digestLength = 20
}
