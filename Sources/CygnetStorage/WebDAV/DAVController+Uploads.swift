import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore

extension DAVController {
    static let uploadsRoot = "/remote.php/dav/uploads/"

    /// Nextcloud chunking v2: MKCOL a transfer folder, PUT the chunks, MOVE its `.file` onto the destination.
    func handleUpload(_ request: Request, rawPath: Substring, identity: StorageIdentity) async throws -> Response {
        let user = identity.name
        do {
            let segments = try Self.segments(of: rawPath, below: Self.uploadsRoot)
            guard let owner = segments.first else {
                throw StorageError(.notFound, "Name the user: \(Self.uploadsRoot)<user>/")
            }
            guard owner == user else {
                throw StorageError(.forbidden, "These are \(owner)'s uploads; you are signed in as \(user)")
            }
            let area = ChunkedUploadArea(staging: spaces.staging)
            let space = try await spaces.space(for: user)
            let folderName = spaces.folderName(for: user)
            for name in segments.dropFirst() { try ChunkedUploadArea.checkName(name, what: "An upload name") }
            let method = request.method.rawValue
            switch (segments.count, method) {
            case (_, "OPTIONS"): return options()
            case (2, "MKCOL"):
                if let total = request.headers[.ocTotalLength].flatMap(Int64.init) {
                    await quota.release(try await quota.reserve(user: user, space: space, bytes: total))
                }
                let created = try await blocking { try area.create(user: folderName, transfer: segments[1]) }
                return Self.empty(created ? .created : .methodNotAllowed)
            case (2, "PROPFIND"), (1, "PROPFIND"):
                return try await listUpload(
                    request, area: area, user: user, folder: folderName, transfer: segments.dropFirst().first)
            case (2, "DELETE"):
                guard area.exists(user: folderName, transfer: segments[1]) else {
                    throw StorageError(.notFound, "There is no upload \(segments[1])")
                }
                try await blocking { area.remove(user: folderName, transfer: segments[1]) }
                return Self.empty(.noContent)
            case (3, "PUT"):
                return try await putChunk(
                    request, area: area, space: space, user: user, folder: folderName, transfer: segments[1],
                    chunk: segments[2])
            case (3, "MOVE") where segments[2] == ".file":
                return try await assemble(
                    request, area: area, identity: identity, folder: folderName, transfer: segments[1])
            default:
                throw StorageError(.notAllowed, "\(method) is not possible here")
            }
        } catch let error as StorageError {
            return Self.errorResponse(error, method: request.method)
        }
    }

    func putChunk(
        _ request: Request, area: ChunkedUploadArea, space: SpaceFileSystem, user: String, folder: String,
        transfer: String, chunk: String
    ) async throws -> Response {
        guard area.exists(user: folder, transfer: transfer) else {
            throw StorageError(.notFound, "There is no upload \(transfer); create it with MKCOL first")
        }
        let received = try await blocking {
            try area.chunks(user: folder, transfer: transfer).reduce(0) { $0 + $1.size }
        }
        let length = request.headers[.contentLength].flatMap(Int64.init) ?? 0
        // Only a check: chunks lie outside the space, so the room is taken for real when the file is assembled.
        let reservation = try await quota.reserve(user: user, space: space, bytes: received + length)
        await quota.release(reservation)
        let incoming = IncomingUpload(space: space, extra: nil, defersMD5: true)
        do {
            try await receive(request.body, into: incoming, allowance: reservation.allowance.map { $0 - received })
            if let length = request.headers[.contentLength].flatMap(Int64.init), length != incoming.size {
                throw StorageError(.badRequest, "The chunk is \(incoming.size) bytes, not \(length)")
            }
            let target = area.folder(user: folder, transfer: transfer) + "/" + chunk
            try await blocking {
                let upload = try incoming.finish()
                guard let staged = upload.stagingPath, rename(staged, target) == 0 else {
                    throw FileSystemErrors.mapped(errno, "keeping the chunk")
                }
            }
            return Self.empty(.created)
        } catch {
            incoming.discard()
            throw error
        }
    }

    func assemble(
        _ request: Request, area: ChunkedUploadArea, identity: StorageIdentity, folder: String, transfer: String
    ) async throws -> Response {
        guard let header = request.headers[.destination] else {
            throw StorageError(.badRequest, "Moving an upload needs a Destination header")
        }
        let location = try await locate(DAVTarget.destination(header), identity: identity)
        let space = location.space
        let path = location.path
        guard !path.isRoot else { throw StorageError(.forbidden, "Nothing can replace the root of your space") }
        let existing = try await blocking { () throws -> FileEntry? in
            _ = try space.parentFolder(of: path)
            return try space.entry(path)
        }
        if existing?.isDirectory == true { throw StorageError(.conflict, "\(path) is a folder") }
        let call = Call(request: request, identity: identity, location: location)
        try location.require(existing == nil ? .create : .update, existing == nil ? "add files" : "change files")
        try checkWritePreconditions(call, existing: existing)
        try await checkLocks(call, paths: [path], membership: true)
        let expected = try ExpectedChecksum(header: request.headers[.ocChecksum])
        let declared = request.headers[.ocTotalLength].flatMap(Int64.init)
        let modified = try Self.clientModifiedTime(request)
        let total = try await blocking { try area.chunks(user: folder, transfer: transfer).reduce(0) { $0 + $1.size } }
        let reservation = try await quota.reserve(
            user: location.owner, space: space, bytes: total, replacing: existing?.size ?? 0)
        let assembled: (UploadFile, UploadHasher)
        do {
            assembled = try await blocking { () throws -> (UploadFile, UploadHasher) in
                let chunks = try area.chunks(user: folder, transfer: transfer)
                let upload = try space.beginUpload(for: path)
                let hasher = UploadHasher(extra: expected?.algorithm)
                if total >= IncomingUpload.batchBytes { hasher.deferMD5() }
                do {
                    for chunk in chunks {
                        try hasher.append(
                            contentsOf: area.folder(user: folder, transfer: transfer) + "/" + chunk.name, to: upload)
                    }
                } catch {
                    upload.discard()
                    throw error
                }
                return (upload, hasher)
            }
        } catch {
            await quota.release(reservation)
            throw error
        }
        let (upload, hasher) = assembled
        do {
            if let declared, declared != hasher.size {
                throw StorageError(
                    .badRequest, "The chunks add up to \(hasher.size) bytes, not the \(declared) announced")
            }
            let checked = hasher.checksums()
            if let expected, !expected.matches(checked) {
                throw StorageError(
                    .badRequest, "The assembled file's \(expected.algorithm.rawValue) checksum does not match")
            }
            let (entry, id, sums) = try await putInPlace(
                at: path, in: location, replacing: existing, modified: modified, reservation: reservation
            ) { (upload, checked) }
            try await blocking { area.remove(user: folder, transfer: transfer) }
            var headers = uploadHeaders(entry: entry, id: id, modifiedAccepted: modified != nil)
            headers[.ocChecksum] = sums.header
            return Self.empty(existing == nil ? .created : .noContent, headers: headers)
        } catch {
            upload.discard()
            await quota.release(reservation)
            throw error
        }
    }

    /// A Depth-1 listing of an upload folder, so a client can see which chunks arrived and resume.
    func listUpload(
        _ request: Request, area: ChunkedUploadArea, user: String, folder: String, transfer: String?
    ) async throws -> Response {
        let base = Self.uploadsRoot + SpacePath.percentEncoded(user) + "/"
        var writer = MultistatusWriter()
        guard let transfer else {
            writer.response(href: base, found: [(.dav("resourcetype"), "<d:collection/>")], missing: [])
            return Self.multistatus(writer.finish())
        }
        let chunks = try await blocking { try area.chunks(user: folder, transfer: transfer) }
        writer.response(href: base + transfer + "/", found: [(.dav("resourcetype"), "<d:collection/>")], missing: [])
        if try Self.depth(request, whenMissing: 1) != 0 {
            for chunk in chunks {
                writer.response(
                    href: base + transfer + "/" + chunk.name,
                    found: [
                        (.dav("resourcetype"), ""), (.dav("getcontentlength"), String(chunk.size)),
                        (.dav("getlastmodified"), HTTPDate.format(seconds: chunk.modifiedSeconds)),
                        (.dav("getetag"), "\"" + chunk.fileETag + "\""),
                    ], missing: [])
            }
        }
        return Self.multistatus(writer.finish())
    }
}

extension UploadHasher {
    /// Appends a whole file (a chunk) to the upload, hashing it on the way.
    func append(contentsOf path: String, to upload: UploadFile) throws(StorageError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemErrors.mapped(errno, "reading a chunk") }
        let file = FileDescriptor(fd)
        var offset: Int64 = 0
        while true {
            let block = try DAVController.read(file, at: offset, count: 1 << 20)
            guard block.readableBytes > 0 else { return }
            try write([block], to: upload)
            offset += Int64(block.readableBytes)
        }
    }
}
