import CygnetAuth
import CygnetRuntime

/// A failure of a `cygnet` command, as one sentence for the person at the keyboard (a teacher, not a programmer).
/// ArgumentParser prints it after "Error: " and exits with status 1.
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// The errors of the libraries, reduced to their message for people (no type names, no driver details).
    public static func presentable(_ error: any Error) -> any Error {
        switch error {
        case let error as AuthError: return CLIError(sentence(error.message))
        case let error as StoreError: return CLIError(sentence(error.message))
        case let error as ConfigurationError: return CLIError(sentence(error.description))
        case let error as ConfigurationFileError: return CLIError(sentence(error.description))
        default: return error
        }
    }

    /// The message with a full stop, as the library messages are phrases ("there is no user named 'ada'").
    static func sentence(_ text: String) -> String {
        guard let last = text.last, !".!?".contains(last) else { return text }
        return text + "."
    }
}
