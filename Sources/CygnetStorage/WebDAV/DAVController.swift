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
    let shareStore: ShareStore
    /// Where deletes go; nil when the trash is switched off (`storage.trash.keep_days: 0`).
    let trash: TrashBin?
    /// Earlier contents of replaced files; nil when versions are switched off (`storage.versions.keep: 0`).
    let versions: VersionStore?
    /// The MD5s of big uploads, worked out after they were answered.
    let checksums: DeferredChecksums
    let instanceID: String
    /// Where file work runs: in place on the server's `FileThreads`, or on a thread pool (big uploads write and hash
    /// a batch on its threads in parallel).
    let fileWork: FileWork
    /// Where small uploads are made durable, in groups; nil: each upload syncs its own file.
    let journal: UploadJournal?
    let limits: StorageLimits
    let logger: Logger

    /// One request, resolved: who asks, where on disk, with which permissions.
    struct Call {
        var request: Request
        var identity: StorageIdentity
        var location: DAVLocation
        /// The connection, for downloads sent with sendfile (`FileRegionSender`); nil for calls made inside another
        /// (a copy's target, a chunked upload's assembly) and for the link page, whose downloads are read in chunks.
        var channel: (any Channel)?
        var path: SpacePath { location.path }
        var space: SpaceFileSystem { location.space }
        var owner: String { location.owner }
    }

    func handle(
        _ request: Request, target: DAVTarget, identity: StorageIdentity, channel: any Channel
    ) async throws -> Response {
        do {
            if case .shares = target.tree, target.path.isRoot {
                return try await sharesRoot(request, target: target, identity: identity)
            }
            let location = try await locate(target, identity: identity)
            let call = Call(request: request, identity: identity, location: location, channel: channel)
            try checkPermission(call)
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
                metadata: [
                    "method": "\(request.method)", "user": "\(identity.name)", "error": "\(String(reflecting: error))",
                ])
            return Self.errorResponse(
                StorageError(.internalError, "The server could not complete the request; it has been logged"),
                method: request.method)
        }
    }

    /// What each method needs; the finer checks (create or replace, the destination of a copy) are in the handlers.
    func checkPermission(_ call: Call) throws(StorageError) {
        let location = call.location
        switch call.request.method.rawValue {
        case "OPTIONS", "PROPFIND", "GET", "HEAD", "COPY": try location.require(.read, "read")
        case "PUT", "LOCK", "UNLOCK", "PROPPATCH":
            guard location.permissions.contains(.update) || location.permissions.contains(.create) else {
                throw StorageError(.forbidden, "This share is read-only: you may not change anything in it")
            }
        case "MKCOL": try location.require(.create, "create folders")
        case "DELETE", "MOVE":
            try location.require(.delete, "delete or move")
            if location.isShared && call.path == location.root {
                throw StorageError(
                    .forbidden, "The shared folder itself cannot be deleted or moved by those it is shared with")
            }
        default: break
        }
    }

    /// Resolves a target to a place on disk, checking that the requester may go there.
    func locate(_ target: DAVTarget, identity: StorageIdentity) async throws -> DAVLocation {
        switch target.tree {
        case .files(let owner):
            if let owner, owner != identity.name {
                throw StorageError(.forbidden, "These are \(owner)'s files; you are signed in as \(identity.name)")
            }
            guard !identity.isLink else { throw StorageError(.forbidden, "A public link reaches only what it shares") }
            return DAVLocation(
                space: try await spaces.space(for: identity.name), owner: identity.name, root: .root, path: target.path,
                hrefBase: target.hrefBase, permissions: .all, isShared: false)
        case .shares(let recipient):
            guard recipient == identity.name, !identity.isLink else {
                throw StorageError(
                    .forbidden, "These are the shares of \(recipient); you are signed in as \(identity.name)")
            }
            guard let name = target.path.segments.first else {
                throw StorageError(.notFound, "Name a share: \(target.hrefBase)<name>/")
            }
            guard let share = try await receivedShares(for: identity).first(where: { $0.visibleName == name })?.share
            else { throw StorageError(.notFound, "Nothing called \(name) is shared with you") }
            return try await location(
                of: share, rest: Array(target.path.segments.dropFirst()),
                hrefBase: target.hrefBase + SpacePath.percentEncoded(name) + "/")
        case .publicLink(let token):
            guard identity.isLink, let share = identity.link, token == nil || token == share.token else {
                throw StorageError(.unauthorized, "Open the link with its token (and its password, if it has one)")
            }
            return try await location(of: share, rest: target.path.segments, hrefBase: target.hrefBase)
        }
    }

    func location(of share: Share, rest: [String], hrefBase: String) async throws -> DAVLocation {
        var path = share.path
        for segment in rest { path = path.appending(segment) }
        return DAVLocation(
            space: try await spaces.space(for: share.owner), owner: share.owner, root: share.path, path: path,
            hrefBase: hrefBase, permissions: share.permissions, isShared: true)
    }

    /// The shares a user received, each with the name it is listed under (`name (owner)` when two clash).
    func receivedShares(for identity: StorageIdentity) async throws -> [(visibleName: String, share: Share)] {
        let now = Int64(Date().timeIntervalSince1970)
        let shares = try await shareStore.received(by: identity.name, groups: identity.groups)
            .filter { !$0.isExpired(now: now) }
        let counts = Dictionary(grouping: shares, by: \.name).mapValues(\.count)
        return shares.map { share in
            (counts[share.name, default: 0] > 1 ? "\(share.name) (\(share.owner))" : share.name, share)
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
        try await fileWork.run(work)
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
        multistatus(body: .init(byteBuffer: body))
    }

    private static func multistatus(body: ResponseBody) -> Response {
        Response(
            status: .init(code: 207, reasonPhrase: "Multi-Status"),
            headers: [.contentType: "application/xml; charset=utf-8"], body: body)
    }

    /// A 207 whose responses were written in parts (`MultistatusWriter(fragmentCapacity:)`).
    static func multistatus(parts: [ByteBuffer]) -> Response {
        var header = ByteBuffer()
        MultistatusWriter.writeHeader(to: &header)
        var footer = ByteBuffer()
        MultistatusWriter.writeFooter(to: &footer)
        return multistatus(body: .init(contentsOf: [header] + parts + [footer]))
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
