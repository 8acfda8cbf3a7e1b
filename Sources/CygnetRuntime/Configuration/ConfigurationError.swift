/// A configuration problem, phrased for the person who edits the file: which key, which value, what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var value: String?
    public var allowed: String
    public var source: String

    public init(key: String, value: String?, allowed: String, source: String = "configuration") {
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
    }

    public var description: String {
        if let value {
            return "\(source): '\(key)' is set to '\(value)', but \(allowed)."
        }
        return "\(source): '\(key)' \(allowed)."
    }
}

/// The configuration file itself could not be read or parsed.
public struct ConfigurationFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot read the configuration file \(path): \(reason)" }
}
