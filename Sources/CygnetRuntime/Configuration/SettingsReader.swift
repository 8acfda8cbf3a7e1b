public import Configuration
import Synchronization

/// Reads typed settings from the appliance's configuration (YAML file, then `CYGNET_…` environment
/// variables on top) and turns every bad value into a `ConfigurationError` that names the key.
///
/// swift-configuration's non-throwing getters fall back to the default when a value does not convert;
/// that would hide a typo in a teacher's file, so each getter here checks for a raw value first.
public struct SettingsReader: Sendable {
    let reader: ConfigReader
    /// Dotted keys of every leaf present in the YAML file (empty when there is no file).
    public let fileKeys: Set<String>
    let sourceName: String
    private let readKeys: KeyLog

    public init(reader: ConfigReader, fileKeys: Set<String> = [], sourceName: String = "configuration") {
        self.reader = reader
        self.fileKeys = fileKeys
        self.sourceName = sourceName
        self.readKeys = KeyLog()
    }

    /// A reader over an in-memory dictionary of dotted keys, for tests and generated defaults.
    public init(values: [String: String]) {
        var content: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in values {
            content[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(
                .string(value), isSecret: false)
        }
        self.init(
            reader: ConfigReader(provider: InMemoryProvider(values: content)),
            fileKeys: Set(values.keys), sourceName: "settings")
    }

    private func configKey(_ key: String) -> ConfigKey {
        ConfigKey(key.split(separator: ".").map(String.init))
    }

    private func raw(_ key: String) -> String? {
        readKeys.record(key)
        if let text = reader.string(forKey: configKey(key)) { return text }
        if let number = reader.int(forKey: configKey(key)) { return String(number) }
        if let flag = reader.bool(forKey: configKey(key)) { return String(flag) }
        if let number = reader.double(forKey: configKey(key)) { return String(number) }
        return nil
    }

    func failure(_ key: String, _ value: String?, _ allowed: String) -> ConfigurationError {
        ConfigurationError(key: key, value: value, allowed: allowed, source: sourceName)
    }

    public func string(_ key: String, default defaultValue: String, allowed: [String]? = nil) throws(ConfigurationError)
        -> String
    {
        guard let value = raw(key) else { return defaultValue }
        if let allowed, !allowed.contains(value) {
            throw failure(key, value, "it must be one of: \(allowed.joined(separator: ", "))")
        }
        return value
    }

    public func optionalString(_ key: String) -> String? {
        raw(key)
    }

    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int
    {
        guard let text = raw(key) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw failure(key, text, "it must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = raw(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw failure(key, text, "it must be true or false")
        }
    }

    /// A duration written as seconds (`300`) or with a unit (`90s`, `5m`, `12h`, `30d`).
    public func duration(_ key: String, default defaultValue: Duration, range: ClosedRange<Duration>)
        throws(ConfigurationError) -> Duration
    {
        guard let text = raw(key) else { return defaultValue }
        guard let value = Self.parseDuration(text), range.contains(value) else {
            throw failure(
                key, text,
                "it must be a duration such as 300, 90s, 5m, 12h or 30d, from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))"
            )
        }
        return value
    }

    public func stringArray(_ key: String, default defaultValue: [String]) -> [String] {
        readKeys.record(key)
        if let values = reader.stringArray(forKey: configKey(key)) { return values }
        if let text = reader.string(forKey: configKey(key)) {
            return text.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        }
        return defaultValue
    }

    /// Names directly below `key` in the file, for maps such as `auth.clients.<name>`.
    public func childNames(of key: String) -> [String] {
        let prefix = key + "."
        let names = fileKeys.compactMap { fileKey -> String? in
            guard fileKey.hasPrefix(prefix) else { return nil }
            return fileKey.dropFirst(prefix.count).split(separator: ".").first.map(String.init)
        }
        return Set(names).sorted()
    }

    /// Fails on keys in the file that nothing read, within the given top-level sections: a typo such as
    /// `auth.pasword_hashing` would otherwise be silently ignored.
    public func rejectUnknownKeys(inSections sections: [String], under mapKeys: [String] = [])
        throws(ConfigurationError)
    {
        let read = readKeys.snapshot()
        for key in fileKeys.sorted() {
            guard let section = key.split(separator: ".").first.map(String.init), sections.contains(section) else {
                continue
            }
            if read.contains(key) { continue }
            if read.contains(where: { key.hasPrefix($0 + ".") }) { continue }
            throw failure(key, nil, "is not a setting Cygnet knows; check its spelling (see docs/configuration.md)")
        }
    }

    static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace().lowercased()
        let units: [(String, Int)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
            guard let number = Int(trimmed.dropLast(suffix.count)), number >= 0 else { return nil }
            return suffix == "ms" ? .milliseconds(number) : .seconds(number * seconds)
        }
        return Int(trimmed).map { .seconds($0) }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds >= 86400, seconds % 86400 == 0 { return "\(seconds / 86400)d" }
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// Which keys were read, so unknown keys in the file can be reported.
final class KeyLog: Sendable {
    private let keys = Mutex<Set<String>>([])
    func record(_ key: String) { keys.withLock { _ = $0.insert(key) } }
    func snapshot() -> Set<String> { keys.withLock { $0 } }
}
