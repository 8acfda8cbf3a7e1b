import Synchronization

@testable import CygnetCLI

/// A console that keeps what a command writes and feeds it a fixed standard input.
final class RecordingConsole: Sendable {
    private let written = Mutex<(output: String, errors: String)>(("", ""))
    let input: String

    init(input: String = "") {
        self.input = input
    }

    var console: Console {
        Console(
            writeOutput: { text in self.written.withLock { $0.output += text } },
            writeError: { text in self.written.withLock { $0.errors += text } },
            readInputLine: {
                self.input.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init)
            })
    }

    var output: String { written.withLock { $0.output } }
    var errors: String { written.withLock { $0.errors } }
    var outputLines: [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
    var errorLines: [String] {
        errors.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// The value after `prefix` on the first output line that starts with it, e.g. `password: `.
    func value(after prefix: String) -> String? {
        outputLines.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
