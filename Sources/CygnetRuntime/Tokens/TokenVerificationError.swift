/// Why a bearer token was refused; `code` maps to RFC 6750's `invalid_token` / `insufficient_scope`.
public struct TokenVerificationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
        case keysUnavailable = "temporarily_unavailable"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
