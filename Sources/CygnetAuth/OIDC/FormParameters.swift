import CygnetRuntime
import Foundation
public import Hummingbird

/// Parameters of a query string or an `application/x-www-form-urlencoded` body. OAuth forbids repeating a
/// parameter (RFC 6749 §3.1), so a repeat is remembered and refused by `value(_:)`.
public struct FormParameters: Sendable {
    private let form: URLEncodedForm

    public init(encoded text: Substring) {
        form = URLEncodedForm(encoded: text)
    }

    public init(query request: Request) {
        self.init(encoded: Substring(request.uri.query ?? ""))
    }

    /// Reads a form body of at most `limit` bytes; larger bodies are refused with 413 before they are read whole.
    public static func body(of request: Request, limit: Int) async throws -> FormParameters {
        let type = request.headers[.contentType] ?? ""
        guard type.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthError.invalidRequest("send the parameters as application/x-www-form-urlencoded")
        }
        let tooLarge = OAuthError(
            "invalid_request", "the request body is larger than \(limit) bytes", status: .contentTooLarge)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return FormParameters(encoded: Substring(String(buffer: buffer)))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }

    /// The value of `name`; empty values count as absent. Throws `invalid_request` if it was sent twice.
    public func value(_ name: String) throws(OAuthError) -> String? {
        guard !form.repeated.contains(name) else {
            throw .invalidRequest("the parameter '\(name)' was sent more than once")
        }
        guard let value = form[name], !value.isEmpty else { return nil }
        return value
    }

    public func require(_ name: String) throws(OAuthError) -> String {
        guard let value = try value(name) else { throw .invalidRequest("the parameter '\(name)' is missing") }
        return value
    }

    /// All values that were sent, for re-sending them as hidden form fields.
    public var all: [String: String] { form.values }
}
