import NIOCore
import NIOHTTP1

/// Answers the proxy gives itself when it cannot pass a request on. The wording is for the
/// person in front of the browser; API clients asking for JSON get the same message as JSON.
struct ErrorResponse {
    let status: HTTPResponseStatus
    let message: String

    static let unreachable = ErrorResponse(
        status: .serviceUnavailable,
        message: "The service at this address is not reachable right now."
    )
    static let timedOut = ErrorResponse(
        status: .gatewayTimeout,
        message: "The service at this address did not answer in time."
    )
    static let badUpstream = ErrorResponse(
        status: .badGateway,
        message: "The service at this address stopped answering part-way through."
    )
    static let noRoute = ErrorResponse(status: .notFound, message: "There is nothing at this address.")
    static let badRequest = ErrorResponse(status: .badRequest, message: "The request could not be understood.")
    static let headTooLarge = ErrorResponse(
        status: .requestHeaderFieldsTooLarge,
        message: "The request headers are too large."
    )

    /// Chooses between the connect failures: a timeout means the service may be overloaded,
    /// anything else (refused, unreachable, unresolvable) that it is not there.
    static func connectFailure(_ error: any Error) -> ErrorResponse {
        if case ChannelError.connectTimeout = error { return .timedOut }
        return .unreachable
    }

    static func wantsJSON(_ headers: HTTPHeaders) -> Bool {
        headers["accept"].contains { $0.contains("application/json") }
    }

    func parts(json: Bool, includeBody: Bool, close: Bool) -> [HTTPServerResponsePart] {
        let body: String
        let contentType: String
        if json {
            body = "{\"status\":\(status.code),\"message\":\"\(message)\"}"
            contentType = "application/json"
        } else {
            body = "<!doctype html>\n<title>\(status.code) \(status.reasonPhrase)</title>\n<p>\(message)</p>\n"
            contentType = "text/html; charset=utf-8"
        }
        var headers: HTTPHeaders = [
            "content-type": contentType,
            "content-length": String(body.utf8.count),
            "cache-control": "no-store",
        ]
        if close {
            headers.add(name: "connection", value: "close")
        }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        guard includeBody else { return [.head(head), .end(nil)] }
        return [.head(head), .body(.byteBuffer(ByteBuffer(string: body))), .end(nil)]
    }
}
