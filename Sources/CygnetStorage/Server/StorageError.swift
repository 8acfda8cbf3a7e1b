public import HTTPTypes

/// What went wrong in cygnet-storage, with the HTTP status it becomes and a message a person can act on.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let status: HTTPResponse.Status
        /// The Sabre exception name clients show (`Sabre\DAV\Exception\NotFound`).
        public let exception: String

        public static let badRequest = Code(status: .badRequest, exception: "BadRequest")
        public static let unauthorized = Code(status: .unauthorized, exception: "NotAuthenticated")
        public static let forbidden = Code(status: .forbidden, exception: "Forbidden")
        public static let notFound = Code(status: .notFound, exception: "NotFound")
        public static let notAllowed = Code(status: .methodNotAllowed, exception: "MethodNotAllowed")
        public static let conflict = Code(status: .conflict, exception: "Conflict")
        public static let preconditionFailed = Code(status: .preconditionFailed, exception: "PreconditionFailed")
        public static let tooLarge = Code(status: .contentTooLarge, exception: "RequestTooLarge")
        public static let unsupportedMediaType = Code(
            status: .unsupportedMediaType, exception: "UnsupportedMediaType")
        public static let rangeNotSatisfiable = Code(
            status: .rangeNotSatisfiable, exception: "RequestedRangeNotSatisfiable")
        public static let locked = Code(status: .init(code: 423, reasonPhrase: "Locked"), exception: "Locked")
        public static let badGateway = Code(status: .badGateway, exception: "BadGateway")
        public static let insufficientStorage = Code(
            status: .init(code: 507, reasonPhrase: "Insufficient Storage"), exception: "InsufficientStorage")
        public static let internalError = Code(status: .internalServerError, exception: "ServiceUnavailable")
        public static let notImplemented = Code(status: .notImplemented, exception: "NotImplemented")
    }

    public var code: Code
    public var message: String
    /// A DAV precondition element to name in the error body (RFC 4918 §16), e.g. `propfind-finite-depth`.
    public var precondition: String?

    public init(_ code: Code, _ message: String, precondition: String? = nil) {
        self.code = code
        self.message = message
        self.precondition = precondition
    }

    public var description: String { message }
}
