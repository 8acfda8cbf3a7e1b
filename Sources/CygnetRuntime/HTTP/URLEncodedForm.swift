import Foundation

/// The fields of a query string or an `application/x-www-form-urlencoded` body, remembering which names were sent
/// more than once (OAuth refuses repeats; a page form may simply take the last value).
public struct URLEncodedForm: Sendable {
    public private(set) var values: [String: String] = [:]
    public private(set) var repeated: Set<String> = []

    public init(encoded text: Substring) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
            if values[name] != nil { repeated.insert(name) }
            values[name] = value
        }
    }

    public subscript(name: String) -> String? { values[name] }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
