/// Sizes as people write them in settings and commands: `500MB`, `2 GiB`, `1.5G`, `1048576`, or `none` for no
/// limit. Decimal units are powers of 1000 and binary ones (`KiB`, `MiB`, `GiB`, `TiB`) powers of 1024; a bare
/// `K`, `M`, `G` or `T` is taken as binary, as `du` and `df` mean it.
public enum ByteSize {
    static let units: [String: Double] = [
        "": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
        "K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776,
        "KIB": 1024, "MIB": 1_048_576, "GIB": 1_073_741_824, "TIB": 1_099_511_627_776,
    ]

    /// The size in bytes; `.some(nil)` for `none`/`unlimited`; nil when the text is not a size.
    public static func parse(_ text: String) -> Int64?? {
        let trimmed = text.trimmingWhitespace().uppercased()
        if ["NONE", "UNLIMITED"].contains(trimmed) { return .some(nil) }
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingWhitespace()
        guard let value = Double(number), value >= 0, let factor = units[unit] else { return nil }
        let bytes = value * factor
        guard bytes < 9e18 else { return nil }
        return .some(Int64(bytes))
    }

    /// `1.5 GB`-style text for people (decimal units, as file managers show).
    public static func describe(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1000 && index < units.count - 1 {
            value /= 1000
            index += 1
        }
        if index == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        return text + " " + units[index]
    }
}

extension SettingsReader {
    /// A size setting; nil means no limit.
    public func byteSize(_ key: String, default defaultValue: Int64?) throws(ConfigurationError) -> Int64? {
        guard let text = optionalString(key) else { return defaultValue }
        guard let parsed = ByteSize.parse(text) else {
            throw failure(key, text, "it must be a size such as 500MB, 10GB or 2GiB, or none for no limit")
        }
        return parsed
    }
}
