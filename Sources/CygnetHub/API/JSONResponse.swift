import Foundation
import Hummingbird
import NIOFoundationCompat

/// JSON values built from dictionaries, as the JupyterHub API's models are loose objects.
enum JSONResponse {
    static func make(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A request body as a JSON object; empty bodies are `{}`. Bodies over `limit` bytes are refused.
    static func object(of request: Request, limit: Int = 64 * 1024) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw HubAPIError(.contentTooLarge, "The request body is larger than \(limit) bytes")
        }
        if buffer.readableBytes == 0 { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw HubAPIError(.badRequest, "The request body must be a JSON object")
        }
        return object
    }

    static let null = NSNull()
}

extension Optional {
    /// The value, or JSON null.
    var orNull: Any { self.map { $0 as Any } ?? NSNull() }
}
