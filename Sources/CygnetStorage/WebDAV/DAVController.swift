import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// WebDAV (RFC 4918, classes 1 and 2) with the ownCloud/Nextcloud extensions, over each user's space.
struct DAVController: Sendable {
    let spaces: SpaceDirectory
    let index: FileIndex
    let properties: PropertyStore
    let locks: LockManager
    let quota: QuotaTracker
    let instanceID: String
    let limits: StorageLimits
    let logger: Logger

    init(
        spaces: SpaceDirectory, index: FileIndex, properties: PropertyStore, locks: LockManager, quota: QuotaTracker,
        instanceID: String, limits: StorageLimits, logger: Logger
    ) {
        self.spaces = spaces
        self.index = index
        self.properties = properties
        self.locks = locks
        self.quota = quota
        self.instanceID = instanceID
        self.limits = limits
        self.logger = logger
    }

    /// One request under a files root, after authentication.
    struct Call {
        var request: Request
        var user: String
        var target: DAVTarget
        var space: SpaceFileSystem
        var path: SpacePath { target.path }
    }

    func handle(_ request: Request, target: DAVTarget, user: String) async throws -> Response {
        do {
            if let owner = target.owner, owner != user {
                throw StorageError(.forbidden, "These are \(owner)'s files; you are signed in as \(user)")
            }
            let space = try await spaces.space(for: user)
            let call = Call(request: request, user: user, target: target, space: space)
            switch request.method.rawValue {
            case "OPTIONS": return options()
            case "PROPFIND": return try await propfind(call)
            case "PROPPATCH": return try await proppatch(call)
            case "GET": return try await get(call, includeBody: true)
            case "HEAD": return try await get(call, includeBody: false)
            case "PUT": return try await put(call)
            case "MKCOL": return try await mkcol(call)
            case "DELETE": return try await delete(call)
            case "COPY": return try await copyOrMove(call, move: false)
            case "MOVE": return try await copyOrMove(call, move: true)
            case "LOCK": return try await lock(call)
            case "UNLOCK": return try await unlock(call)
            default:
                throw StorageError(.notAllowed, "\(request.method.rawValue) is not a method this server knows")
            }
        } catch let error as StorageError {
            return Self.errorResponse(error, method: request.method)
        } catch {
            logger.error(
                "WebDAV request failed",
                metadata: ["method": "\(request.method)", "user": "\(user)", "error": "\(String(reflecting: error))"])
            return Self.errorResponse(
                StorageError(.internalError, "The server could not complete the request; it has been logged"),
                method: request.method)
        }
    }

    func options() -> Response {
        var headers = HTTPFields()
        headers[.allow] = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK"
        headers[.dav] = "1, 2, 3"
        headers[.msAuthorVia] = "DAV"
        headers[.contentLength] = "0"
        return Response(status: .ok, headers: headers)
    }

    /// The body of a small XML request, refused with 413 past `limit`.
    func smallBody(_ call: Call, limit: Int) async throws -> [UInt8] {
        if let length = call.request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw StorageError(.tooLarge, "The request body is larger than \(limit) bytes")
        }
        var collected: [UInt8] = []
        for try await chunk in call.request.body {
            guard collected.count + chunk.readableBytes <= limit else {
                throw StorageError(.tooLarge, "The request body is larger than \(limit) bytes")
            }
            collected += chunk.readableBytesView
        }
        return collected
    }

    /// Runs file-system work off the event loop.
    func blocking<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// `Depth` as a number (0 or 1) or nil for infinity. A missing header means `whenMissing`.
    static func depth(_ request: Request, whenMissing: Int?) throws(StorageError) -> Int? {
        guard let value = request.headers[.depth]?.lowercased() else { return whenMissing }
        switch value {
        case "0": return 0
        case "1": return 1
        case "infinity": return nil
        default: throw StorageError(.badRequest, "Depth must be 0, 1 or infinity, not \(value)")
        }
    }

    static func errorResponse(_ error: StorageError, method: HTTPRequest.Method) -> Response {
        var headers = HTTPFields()
        if error.code == .unauthorized {
            headers[.wwwAuthenticate] = "Basic realm=\"Cygnet\", charset=\"UTF-8\""
        }
        guard method != .head else {
            headers[.contentLength] = "0"
            return Response(status: error.code.status, headers: headers)
        }
        headers[.contentType] = "application/xml; charset=utf-8"
        var body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        body += "<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">"
        if let precondition = error.precondition { body += "<d:\(precondition)/>" }
        body += "<s:exception>Sabre\\DAV\\Exception\\\(error.code.exception)</s:exception>"
        body += "<s:message>\(XMLEscaping.text(error.message))</s:message></d:error>"
        return Response(status: error.code.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func multistatus(_ body: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        return Response(
            status: .init(code: 207, reasonPhrase: "Multi-Status"), headers: headers, body: .init(byteBuffer: body))
    }

    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers)
    }
}

/// Limits on what one request may send.
public struct StorageLimits: Sendable {
    /// PROPFIND, PROPPATCH and LOCK bodies.
    public var xmlBody: Int = 1 << 20
}
