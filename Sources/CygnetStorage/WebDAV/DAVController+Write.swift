import CZlib
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

extension DAVController {
    func put(_ call: Call) async throws -> Response {
        let path = call.path
        let space = call.space
        guard !path.isRoot else { throw StorageError(.notAllowed, "The root of your space is a folder") }
        let (folder, existing) = try await blocking { try space.lookUpForWriting(path) }
        if existing?.isDirectory == true {
            throw StorageError(.notAllowed, "\(path) is a folder; a file cannot replace it")
        }
        try checkWritePreconditions(call, existing: existing)
        try await checkLocks(call, paths: [path], membership: true)
        let expected = try ExpectedChecksum(header: call.request.headers[.ocChecksum])
        let modified = try Self.clientModifiedTime(call.request)
        let announced = (call.request.headers[.contentLength] ?? call.request.headers[.ocTotalLength]).flatMap(
            Int64.init)
        let reservation = try await quota.reserve(
            user: call.owner, space: space, bytes: announced ?? 0, replacing: existing?.size ?? 0)
        let incoming = IncomingUpload(space: space, extra: expected?.algorithm, defersMD5: true, folder: folder)
        do {
            try await receive(call.request.body, into: incoming, allowance: reservation.allowance)
            let declared = call.request.headers[.ocTotalLength].flatMap(Int64.init)
            let (entry, id, sums) = try await putInPlace(
                at: path, in: call.location, replacing: existing, modified: modified, reservation: reservation
            ) { () throws -> (UploadFile, Checksums) in
                let file = try incoming.finish()
                let hasher = incoming.hasher
                if let declared, declared != hasher.size {
                    throw StorageError(
                        .badRequest, "Received \(hasher.size) bytes but OC-Total-Length said \(declared)")
                }
                let checked = hasher.checksums()
                if let expected, !expected.matches(checked) {
                    throw StorageError(
                        .badRequest,
                        "The upload's \(expected.algorithm.rawValue) checksum does not match; nothing was saved")
                }
                return (file, checked)
            }
            var headers = uploadHeaders(entry: entry, id: id, modifiedAccepted: modified != nil)
            headers[.ocChecksum] = sums.header
            return Self.empty(existing == nil ? .created : .noContent, headers: headers)
        } catch {
            incoming.discard()
            await quota.release(reservation)
            throw error
        }
    }

    /// The steps every upload ends with: keep the content it replaces as a version, then, in one trip to the file
    /// threads, let `content` finish the staged file and rename it into place; count it against the quota and
    /// record its id and checksums (valid for the mtime it now has). A staged file that fails to commit is removed.
    /// A small upload is made durable through the journal, in the same group as its index row; a bigger one (or any,
    /// while the journal is full) is synced in place before it is named.
    func putInPlace(
        at path: SpacePath, in location: DAVLocation, replacing existing: FileEntry?, modified: Int64?,
        reservation: QuotaTracker.Reservation,
        content: @Sendable @escaping () throws -> (UploadFile, Checksums)
    ) async throws -> (entry: FileEntry, id: Int64, checksums: Checksums) {
        try await keepVersion(of: path, existing: existing, in: location)
        let (space, owner, journal) = (location.space, location.owner, journal)
        let (entry, sums, journaled) = try await blocking {
            () throws -> (FileEntry, Checksums, UploadJournal.Entry?) in
            let (upload, hashed) = try content()
            do {
                let room = journal?.reserve(
                    contentBytes: Int(hashed.size), owner: owner, path: path.description, root: space.root)
                let entry = try space.commit(upload, to: path, modified: modified, synced: room == nil)
                var sums = hashed
                sums.modified = entry.modified
                guard let room else { return (entry, sums, nil) }
                let record = UploadJournal.Record(
                    owner: owner, path: path.description, changed: entry.changed, inode: entry.inode, checksums: sums,
                    content: try upload.contents(size: Int(entry.size)))
                return (entry, sums, UploadJournal.Entry(reservation: room, record: record))
            } catch {
                upload.discard()
                throw error
            }
        }
        await quota.settle(reservation, delta: entry.size - (existing?.size ?? 0))
        let id = try await index.recordContent(
            space: owner, path: path, entry: entry, checksums: sums, journaled: journaled)
        if sums.md5 == nil {
            checksums.schedule(owner: location.owner, space: space, path: path, entry: entry)
        }
        return (entry, id, sums)
    }

    /// Streams a body into `incoming`: each batch is written and hashed while the next one arrives. The last
    /// part stays in memory for `IncomingUpload.finish`, so a small body is not written here at all.
    /// Past `allowance` bytes the upload is refused (507) and nothing is kept.
    func receive(_ body: RequestBody, into incoming: IncomingUpload, allowance: Int64?) async throws {
        var chunks = body.makeAsyncIterator()
        var received: Int64 = 0
        var (batch, more) = try await Self.nextBatch(from: &chunks, received: &received, allowance: allowance)
        while more {
            let current = batch
            async let written: Void = incoming.write(current, pool: fileWork.pool)
            let next = try await Self.nextBatch(from: &chunks, received: &received, allowance: allowance)
            try await written
            (batch, more) = next
        }
        incoming.keep(batch)
    }

    /// A batch of the body (`IncomingUpload.batchBytes` or a little more), and whether more follows.
    static func nextBatch(
        from chunks: inout RequestBody.AsyncIterator, received: inout Int64, allowance: Int64?
    ) async throws -> ([ByteBuffer], Bool) {
        var batch: [ByteBuffer] = []
        var bytes = 0
        while bytes < IncomingUpload.batchBytes {
            guard let chunk = try await chunks.next() else { return (batch, false) }
            received += Int64(chunk.readableBytes)
            if let allowance, received > allowance {
                throw StorageError(.insufficientStorage, "The upload does not fit in your quota; nothing was saved")
            }
            batch.append(chunk)
            bytes += chunk.readableBytes
        }
        return (batch, true)
    }

    func uploadHeaders(entry: FileEntry, id: Int64, modifiedAccepted: Bool) -> HTTPFields {
        var headers = HTTPFields()
        let etag = "\"" + entry.fileETag + "\""
        headers[.eTag] = etag
        headers[.ocETag] = etag
        headers[.ocFileID] = LiveProperties.ocID(id, instanceID: instanceID)
        if modifiedAccepted { headers[.ocModifiedTime] = "accepted" }
        return headers
    }

    /// `If-Match` and `If-None-Match` on a write: 412 when the client's idea of the file is out of date.
    func checkWritePreconditions(_ call: Call, existing: FileEntry?) throws(StorageError) {
        let etag = existing.map { "\"" + $0.fileETag + "\"" }
        if let match = call.request.headers[.ifMatch], !Self.etagList(match, contains: etag) {
            throw StorageError(.preconditionFailed, "The file changed on the server (If-Match failed)")
        }
        if let noneMatch = call.request.headers[.ifNoneMatch], Self.etagList(noneMatch, contains: etag) {
            throw StorageError(.preconditionFailed, "The file already exists (If-None-Match failed)")
        }
    }

    /// `X-OC-Mtime` (Unix seconds, maybe with a fraction) in nanoseconds.
    static func clientModifiedTime(_ request: Request) throws(StorageError) -> Int64? {
        guard let text = request.headers[.ocModifiedTime] else { return nil }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds < 1e11 else {
            throw StorageError(.badRequest, "X-OC-Mtime must be a time in Unix seconds, not \(text)")
        }
        return Int64(seconds * 1_000_000_000)
    }

    func mkcol(_ call: Call) async throws -> Response {
        if let length = call.request.headers[.contentLength].flatMap(Int.init), length > 0 {
            throw StorageError(.unsupportedMediaType, "MKCOL takes no body")
        }
        if call.request.headers[.transferEncoding] != nil {
            throw StorageError(.unsupportedMediaType, "MKCOL takes no body")
        }
        let path = call.path
        guard !path.isRoot else { throw StorageError(.notAllowed, "The root of your space exists") }
        let space = call.space
        if try await blocking({ try space.entry(path) }) != nil {
            throw StorageError(.notAllowed, "\(path) already exists")
        }
        try await checkLocks(call, paths: [path], membership: true)
        try await blocking { try space.makeDirectory(path) }
        let entry = try await blocking { try space.entry(path) }
        var headers = HTTPFields()
        if let entry {
            let id = try await index.record(space: call.owner, path: path, entry: entry).id
            headers[.ocFileID] = LiveProperties.ocID(id, instanceID: instanceID)
        }
        return Self.empty(.created, headers: headers)
    }

    func delete(_ call: Call) async throws -> Response {
        let path = call.path
        guard !path.isRoot else { throw StorageError(.forbidden, "The root of your space cannot be deleted") }
        let space = call.space
        guard let existing = try await blocking({ try space.entry(path) }) else {
            throw StorageError(.notFound, "\(path) does not exist")
        }
        if existing.isDirectory, try Self.depth(call.request, whenMissing: nil) != nil {
            throw StorageError(.badRequest, "A folder is deleted with everything in it (Depth: infinity)")
        }
        if !existing.isDirectory { try checkWritePreconditions(call, existing: existing) }
        try await checkLocks(call, paths: [path], membership: true)
        if let trash {
            try await trash.moveIn(
                path, of: space, spaceFolder: spaces.folderName(for: call.owner), owner: call.owner,
                now: Int64(Date().timeIntervalSince1970))
        } else {
            try await blocking { try space.remove(path) }
        }
        await quota.invalidate(user: call.owner)
        try await index.removed(space: call.owner, path: path)
        try await shareStore.removed(owner: call.owner, path: path)
        await locks.release(space: call.owner, path: path)
        return Self.empty(.noContent)
    }
}

/// The algorithms clients name in `OC-Checksum`.
enum ChecksumAlgorithm: String, Sendable {
    case sha1 = "SHA1"
    case md5 = "MD5"
    case adler32 = "ADLER32"
}

/// The checksum a client sent with an upload, checked before the file is put in place.
struct ExpectedChecksum {
    var algorithm: ChecksumAlgorithm
    var value: String

    /// Parses `SHA1:<hex>` (also `sha1:`); unknown algorithms are ignored, as ownCloud does.
    init?(header: String?) throws(StorageError) {
        guard let header, let colon = header.firstIndex(of: ":") else { return nil }
        guard let algorithm = ChecksumAlgorithm(rawValue: header[..<colon].uppercased()) else { return nil }
        let value = header[header.index(after: colon)...].trimmingWhitespace().lowercased()
        guard !value.isEmpty, value.allSatisfy(\.isHexDigit) else {
            throw StorageError(.badRequest, "OC-Checksum is malformed: \(header)")
        }
        self.algorithm = algorithm
        // Adler-32 is eight hex digits; some clients drop the leading zeros.
        self.value = algorithm == .adler32 ? String(repeating: "0", count: max(0, 8 - value.count)) + value : value
    }

    func matches(_ sums: Checksums) -> Bool {
        switch algorithm {
        case .sha1: sums.sha1 == value
        case .md5: sums.md5 == value
        case .adler32: sums.adler32 == value
        }
    }
}
