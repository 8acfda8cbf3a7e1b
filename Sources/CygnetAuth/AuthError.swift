/// An error from cygnet-auth's account, client and token logic, with a message a teacher can act on.
/// Mapped to HTTP and OAuth errors in one place (`AuthError+HTTP.swift`).
public struct AuthError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let invalidInput = Code(name: "invalid_input")
        public static let notFound = Code(name: "not_found")
        public static let alreadyExists = Code(name: "already_exists")
        public static let wrongCredentials = Code(name: "wrong_credentials")
        public static let throttled = Code(name: "throttled")
        public static let disabled = Code(name: "disabled")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
