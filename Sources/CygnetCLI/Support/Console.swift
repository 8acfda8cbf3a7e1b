import Foundation

/// Where commands write what a person reads and read what a person types; the in-process tests put a recording
/// console in place with `Console.$current.withValue(…)`.
public struct Console: Sendable {
    /// The console of the current task: the process's standard streams unless a test replaced it.
    @TaskLocal public static var current = Console.standard

    let writeOutput: @Sendable (String) -> Void
    let writeError: @Sendable (String) -> Void
    let readInputLine: @Sendable () -> String?

    public init(
        writeOutput: @escaping @Sendable (String) -> Void, writeError: @escaping @Sendable (String) -> Void,
        readInputLine: @escaping @Sendable () -> String?
    ) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.readInputLine = readInputLine
    }

    /// Standard output and error, one `write` per line so lines of concurrent tasks never interleave. A failed
    /// write (the reader of a pipe has gone) is dropped: `FileHandle.write(_:)` would trap.
    public static let standard = Console(
        writeOutput: { try? FileHandle.standardOutput.write(contentsOf: Data($0.utf8)) },
        writeError: { try? FileHandle.standardError.write(contentsOf: Data($0.utf8)) },
        readInputLine: { Swift.readLine(strippingNewline: true) })

    /// Writes `line` and a line break to standard output.
    public func print(_ line: String = "") {
        writeOutput(line + "\n")
    }

    /// Writes `line` and a line break to standard error.
    public func printError(_ line: String) {
        writeError(line + "\n")
    }

    /// One line of standard input without its line break, for `--password-stdin`; nil at the end of the input.
    public func readLine() -> String? {
        readInputLine()
    }
}
