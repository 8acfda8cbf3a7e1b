import Foundation

/// The one error type of the software repositories: what went wrong, in words for the person who runs the
/// command, with a code callers can branch on and the underlying cause when there is one.
public struct SoftwareError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let invalidArgument = Code(name: "invalid argument")
        public static let corrupt = Code(name: "corrupt data")
        public static let signature = Code(name: "bad signature")
        public static let expired = Code(name: "expired")
        public static let notFound = Code(name: "not found")
        public static let io = Code(name: "input/output")
        public static let network = Code(name: "network")
        public static let unsupported = Code(name: "unsupported")
        public static let database = Code(name: "database")
        public static let busy = Code(name: "busy")
    }

    public let code: Code
    public let message: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return message }
        return "\(message) (\(underlying))"
    }
}

extension SoftwareError {
    /// An error for a failed system call, with `strerror`'s words for `errno`.
    static func system(_ what: String, errno code: Int32) -> SoftwareError {
        SoftwareError(.io, "\(what): \(String(cString: strerror(code)))")
    }
}
