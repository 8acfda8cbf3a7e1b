import Foundation
public import Hummingbird

/// An OAuth 2 / OIDC protocol error (RFC 6749 §5.2), rendered as JSON with the right status and, for 401s,
/// a `WWW-Authenticate` challenge.
public struct OAuthError: Error, HTTPResponseError, Sendable {
    public var error: String
    public var description: String
    public var status: HTTPResponse.Status
    public var challenge: String?

    public init(
        _ error: String, _ description: String, status: HTTPResponse.Status = .badRequest, challenge: String? = nil
    ) {
        self.error = error
        self.description = description
        self.status = status
        self.challenge = challenge
    }

    public static func invalidRequest(_ text: String) -> Self { .init("invalid_request", text) }
    public static func invalidGrant(_ text: String) -> Self { .init("invalid_grant", text) }
    public static func invalidScope(_ text: String) -> Self { .init("invalid_scope", text) }
    public static func invalidClient(_ text: String) -> Self {
        .init("invalid_client", text, status: .unauthorized, challenge: #"Basic realm="cygnet""#)
    }
    public static func invalidToken(_ text: String) -> Self {
        .init(
            "invalid_token", text, status: .unauthorized,
            challenge: #"Bearer realm="cygnet", error="invalid_token", error_description="\#(text)""#)
    }
    public static func insufficientScope(_ scope: String) -> Self {
        .init(
            "insufficient_scope", "this needs the scope \(scope)", status: .forbidden,
            challenge: #"Bearer realm="cygnet", error="insufficient_scope", scope="\#(scope)""#)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let challenge { headers[.wwwAuthenticate] = challenge }
        // The rest of an oversized body is never read; closing tells the client to stop sending it.
        if status == .contentTooLarge { headers[.connection] = "close" }
        let data =
            (try? JSONSerialization.data(
                withJSONObject: ["error": error, "error_description": description], options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

}
