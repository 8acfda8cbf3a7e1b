import Foundation

/// JupyterHub's timestamps: ISO 8601 in UTC with a `Z`, microseconds when there are any
/// (`2026-11-26T00:05:24.669134Z`).
enum Timestamps {
    static func format(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return date
        }
        // Without a zone (JupyterHub accepts naive UTC timestamps): read as UTC.
        if !text.hasSuffix("Z"), !text.contains("+") { return parse(text + "Z") }
        return nil
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
