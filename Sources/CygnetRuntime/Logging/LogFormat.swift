/// How log lines are written: `text` (logfmt, for people) or `json` (one object per line, for collectors).
public enum LogFormat: String, Sendable, Equatable {
    case text
    case json
}
