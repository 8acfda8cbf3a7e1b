import Foundation
import Hummingbird
import NIOCore

extension DAVController {
    static let bulkPath = "/remote.php/dav/bulk"
    static let bulkLimit = 256 << 20

    /// Nextcloud's bulk upload: many small new files in one POST. Each file is stored (atomically, checked against
    /// its MD5) or refused on its own; the answer says which, keyed by the path the client sent.
    func bulkUpload(_ request: Request, identity: StorageIdentity) async throws -> Response {
        do {
            guard request.method == .post else { throw StorageError(.notAllowed, "Bulk uploads are POSTed") }
            let boundary = try BulkUploadBody.boundary(ofContentType: request.headers[.contentType])
            let bytes = try await collect(request.body, limit: Self.bulkLimit)
            let body = try BulkUploadBody(bytes: bytes, boundary: boundary)
            let location = try await locate(
                DAVTarget(tree: .files(owner: identity.name), path: .root, hrefBase: Self.filesRootFor(identity.name)),
                identity: identity)
            var results: [String: Any] = [:]
            for part in body.parts {
                guard let name = part.path else { continue }
                do {
                    results[name] = try await storeBulkPart(part, at: try SpacePath(plain: name), in: location)
                } catch let error as StorageError {
                    results[name] = ["error": true, "message": error.message]
                }
            }
            return OCSController.json(results)
        } catch let error as StorageError {
            return Self.errorResponse(error, method: request.method)
        }
    }

    func collect(_ body: RequestBody, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else {
                throw StorageError(.tooLarge, "A bulk upload may carry \(limit >> 20) MiB at most")
            }
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    func storeBulkPart(_ part: BulkUploadBody.Part, at path: SpacePath, in location: DAVLocation) async throws
        -> [String: Any]
    {
        guard !path.isRoot else { throw StorageError(.badRequest, "X-File-Path names no file") }
        let space = location.space
        let existing = try await blocking { () throws -> FileEntry? in
            _ = try space.parentFolder(of: path)
            return try space.entry(path)
        }
        if existing?.isDirectory == true { throw StorageError(.conflict, "\(path) is a folder") }
        let reservation = try await quota.reserve(
            user: location.owner, space: space, bytes: Int64(part.content.count), replacing: existing?.size ?? 0)
        do {
            let content = ByteBuffer(bytes: part.content)
            let expectedMD5 = part.md5
            let (entry, id, _) = try await putInPlace(
                at: path, in: location, replacing: existing, modified: part.modified, reservation: reservation
            ) { () throws -> (UploadFile, Checksums) in
                let upload = try space.beginUpload(for: path)
                do {
                    let hasher = UploadHasher(extra: nil)
                    try hasher.write([content], to: upload)
                    let sums = hasher.checksums()
                    if let expectedMD5, expectedMD5 != sums.md5 {
                        throw StorageError(.badRequest, "The MD5 of \(path) does not match; it was not saved")
                    }
                    return (upload, sums)
                } catch {
                    upload.discard()
                    throw error
                }
            }
            let ocID = LiveProperties.ocID(id, instanceID: instanceID)
            return [
                "error": false, "etag": entry.fileETag, "fileid": ocID, "OC-FileID": ocID, "permissions": "RGDNVW",
                "X-OC-MTime": part.modified != nil ? "accepted" : "",
            ]
        } catch {
            await quota.release(reservation)
            throw error
        }
    }
}
