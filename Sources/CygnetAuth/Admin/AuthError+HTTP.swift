import Foundation
public import Hummingbird

/// The one place where account errors become HTTP answers of the admin API.
extension AuthError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .alreadyExists: .conflict
        case .wrongCredentials: .unauthorized
        case .throttled: .tooManyRequests
        case .disabled: .forbidden
        default: .badRequest
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: ["error": code.description, "error_description": message]))
            ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
