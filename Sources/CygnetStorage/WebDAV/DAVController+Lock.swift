import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension DAVController {
    func lock(_ call: Call) async throws -> Response {
        let body = try await smallBody(call, limit: limits.xmlBody)
        let timeout = Self.lockTimeout(call.request.headers[.timeout])
        let live = LiveProperties(
            instanceID: instanceID, owner: call.owner, hrefBase: call.location.hrefBase, location: call.location)
        guard let request = try LockRequest(body: body) else {
            let tokens = try call.request.headers[.davIf].map { try IfHeader(parsing: $0).submittedTokens } ?? []
            guard !tokens.isEmpty else {
                throw StorageError(
                    .badRequest, "A LOCK without a body refreshes a lock: send its token in an If header")
            }
            guard let lock = await locks.refresh(space: call.owner, path: call.path, tokens: tokens, timeout: timeout)
            else {
                throw StorageError(
                    .preconditionFailed, "No lock with that token covers this resource",
                    precondition: "lock-token-matches-request-uri")
            }
            return Self.lockResponse(lock, live: live, status: .ok)
        }
        let depth = try Self.depth(call.request, whenMissing: nil)
        guard depth != 1 else { throw StorageError(.badRequest, "LOCK takes Depth 0 or infinity") }
        try await checkLocks(call, paths: [], membership: false)
        let space = call.space
        let path = call.path
        var created = false
        if try await blocking({ try space.entry(path) }) == nil {
            // Locking an unmapped URL creates an empty file (RFC 4918 §9.10.4).
            guard !path.isRoot else { throw StorageError(.forbidden, "The root of your space cannot be locked") }
            try await locks.checkUnlocked(space: call.owner, paths: [path], membership: true, tokens: [])
            let entry = try await blocking { () throws -> FileEntry in
                let upload = try space.beginUpload()
                do throws(StorageError) {
                    return try space.commit(upload, to: path, modified: nil)
                } catch {
                    upload.discard()
                    throw error
                }
            }
            _ = try await index.recordContent(
                space: call.owner, path: path, entry: entry, checksums: UploadHasher(extra: nil).checksums())
            created = true
        }
        let lock = try await locks.lock(
            space: call.owner, path: path, infinite: depth == nil, exclusive: request.exclusive,
            ownerXML: request.ownerXML, timeout: timeout)
        var response = Self.lockResponse(lock, live: live, status: created ? .created : .ok)
        response.headers[.lockToken] = "<" + lock.token + ">"
        return response
    }

    func unlock(_ call: Call) async throws -> Response {
        guard let header = call.request.headers[.lockToken] else {
            throw StorageError(.badRequest, "UNLOCK needs a Lock-Token header")
        }
        let token = header.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        guard await locks.unlock(space: call.owner, path: call.path, token: token) else {
            throw StorageError(
                .conflict, "No lock with that token covers this resource",
                precondition: "lock-token-matches-request-uri")
        }
        return Self.empty(.noContent)
    }

    /// Evaluates the `If` header (412 when it fails) and refuses to change locked resources whose token the
    /// client did not submit (423).
    func checkLocks(_ call: Call, paths: [SpacePath], membership: Bool) async throws {
        var tokens: Set<String> = []
        if let text = call.request.headers[.davIf] {
            let header = try IfHeader(parsing: text)
            let spaceLocks = await locks.within(space: call.owner, path: .root)
            var states: [String?: (etag: String?, tokens: Set<String>)] = [:]
            for tag in Set(header.lists.map(\.resourceTag)) {
                var path: SpacePath? = call.path
                if let tag {
                    // Only a tag naming a place in the same space can match this space's locks and ETags.
                    let tagged = try? await locate(DAVTarget.destination(tag), identity: call.identity)
                    path = tagged?.owner == call.owner ? tagged?.path : nil
                }
                guard let path else {
                    states[tag] = (nil, [])
                    continue
                }
                let space = call.space
                let etag = try await blocking { () throws -> String? in
                    guard let entry = try space.entry(path) else { return nil }
                    let summary = entry.isDirectory ? try space.summary(of: path) : nil
                    return DAVResource(path: path, entry: entry, summary: summary).etag
                }
                states[tag] = (etag, Set(spaceLocks.filter { $0.covers(path) }.map(\.token)))
            }
            guard header.holds(state: { states[$0] ?? (nil, []) }) else {
                throw StorageError(.preconditionFailed, "The If header's conditions do not hold")
            }
            tokens = header.submittedTokens
        }
        try await locks.checkUnlocked(space: call.owner, paths: paths, membership: membership, tokens: tokens)
    }

    static func lockTimeout(_ header: String?) -> Int {
        guard let first = header?.split(separator: ",").first?.trimmingWhitespace() else {
            return LockManager.defaultTimeout
        }
        if first.hasPrefix("Second-"), let seconds = Int(first.dropFirst(7)), seconds > 0 {
            return min(seconds, LockManager.maximumTimeout)
        }
        return first == "Infinite" ? LockManager.maximumTimeout : LockManager.defaultTimeout
    }

    static func lockResponse(_ lock: ActiveLock, live: LiveProperties, status: HTTPResponse.Status) -> Response {
        let body =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:prop xmlns:d=\"DAV:\"><d:lockdiscovery>"
            + live.activeLockXML(lock) + "</d:lockdiscovery></d:prop>"
        var headers = HTTPFields()
        headers[.contentType] = "application/xml; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
