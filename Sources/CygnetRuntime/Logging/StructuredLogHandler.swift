import Foundation
public import Logging

/// A log handler that writes one line per event to standard error, as logfmt or JSON, with metadata
/// as fields so operators can filter on `user`, `client` or `request-id`.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat

    public init(label: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    /// Installs this handler for the whole process; call once from an executable's entry point.
    public static func bootstrap(level: Logger.Level, format: LogFormat) {
        // Under `cygnet up` the log goes to a pipe the supervisor stops reading when it shuts down. A line written
        // then must not kill the process (SIGPIPE) in the middle of its own shutdown, which for a FUSE mount would
        // leave the mount point dead ("Transport endpoint is not connected").
        signal(SIGPIPE, SIG_IGN)
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, level: level, format: format) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let line =
            format == .json
            ? jsonLine(event: event, fields: fields)
            : textLine(event: event, fields: fields)
        // Not `write(_:)`, which traps when the write fails, as it does once the reader of the pipe has gone.
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }

    private func timestamp() -> String {
        Date.now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    private func textLine(event: LogEvent, fields: Logger.Metadata) -> String {
        var parts = [
            "time=\(timestamp())", "level=\(event.level)", "logger=\(label)", "msg=\(quoted("\(event.message)"))",
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            parts.append("\(key)=\(quoted("\(value)"))")
        }
        return parts.joined(separator: " ")
    }

    private func quoted(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
        guard needsQuotes else { return text }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    private func jsonLine(event: LogEvent, fields: Logger.Metadata) -> String {
        var object: [String: String] = [
            "time": timestamp(), "level": "\(event.level)", "logger": label, "msg": "\(event.message)",
        ]
        for (key, value) in fields { object[key] = "\(value)" }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
