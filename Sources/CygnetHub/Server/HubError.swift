import Foundation
public import Hummingbird

/// An error of the REST API, answered as JupyterHub does: `{"status": 403, "message": "…"}`.
public struct HubAPIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body =
            (try? JSONSerialization.data(withJSONObject: ["status": Int(status.code), "message": message]))
            ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func forbidden(_ message: String = "Action is not authorized with current scopes") -> Self {
        Self(.forbidden, message)
    }

    static func notFound(_ what: String) -> Self { Self(.notFound, "\(what) not found") }
}

/// Adds `X-JupyterHub-Version` to every reply (contract §4), errors included.
struct VersionHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.init("X-JupyterHub-Version")!] = HubContext.apiVersion
        return response
    }
}
