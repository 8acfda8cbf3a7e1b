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
        let existing = try await blocking { () throws -> FileEntry? in
            _ = try space.parentFolder(of: path)
            return try space.entry(path)
        }
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
        let upload: UploadFile
        do {
            upload = try await blocking { try space.beginUpload() }
        } catch {
            await quota.release(reservation)
            throw error
        }
        do {
            let hasher = try await receive(
                call.request.body, into: upload, extra: expected?.algorithm, allowance: reservation.allowance)
            if let declared = call.request.headers[.ocTotalLength].flatMap(Int64.init),
                declared != hasher.size
            {
                throw StorageError(.badRequest, "Received \(hasher.size) bytes but OC-Total-Length said \(declared)")
            }
            let checked = hasher.checksums()
            if let expected, !expected.matches(checked) {
                throw StorageError(
                    .badRequest,
                    "The upload's \(expected.algorithm.rawValue) checksum does not match; nothing was saved")
            }
            let (entry, id, sums) = try await putInPlace(
                upload, checksums: checked, at: path, in: call.location, replacing: existing, modified: modified,
                reservation: reservation)
            var headers = uploadHeaders(entry: entry, id: id, modifiedAccepted: modified != nil)
            headers[.ocChecksum] = sums.header
            return Self.empty(existing == nil ? .created : .noContent, headers: headers)
        } catch {
            upload.discard()
            await quota.release(reservation)
            throw error
        }
    }

    /// The steps every upload ends with: keep the content it replaces as a version, rename the staged file into
    /// place, count it against the quota and record its id and checksums (valid for the mtime it now has).
    func putInPlace(
        _ upload: UploadFile, checksums: Checksums, at path: SpacePath, in location: DAVLocation,
        replacing existing: FileEntry?, modified: Int64?, reservation: QuotaTracker.Reservation
    ) async throws -> (entry: FileEntry, id: Int64, checksums: Checksums) {
        try await keepVersion(of: path, existing: existing, in: location)
        let space = location.space
        let entry = try await blocking { try space.commit(upload, to: path, modified: modified) }
        var sums = checksums
        sums.modified = entry.modified
        await quota.settle(reservation, delta: entry.size - (existing?.size ?? 0))
        let id = try await index.recordContent(space: location.owner, path: path, entry: entry, checksums: sums)
        return (entry, id, sums)
    }

    /// Streams a body into the staged file, hashing on the way; writes in batches of about 1 MiB so the thread
    /// pool is asked once per megabyte, not once per network read.
    /// Past `allowance` bytes the upload is refused (507) and nothing is kept.
    func receive(_ body: RequestBody, into upload: UploadFile, extra: ChecksumAlgorithm?, allowance: Int64?)
        async throws -> UploadHasher
    {
        let hasher = UploadHasher(extra: extra)
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        for try await chunk in body {
            pending.append(chunk)
            pendingBytes += chunk.readableBytes
            if let allowance, hasher.size + Int64(pendingBytes) > allowance {
                throw StorageError(.insufficientStorage, "The upload does not fit in your quota; nothing was saved")
            }
            if pendingBytes >= 1 << 20 {
                try await hasher.write(pending, to: upload, pool: fileIO)
                pending.removeAll(keepingCapacity: true)
                pendingBytes = 0
            }
        }
        if !pending.isEmpty { try await hasher.write(pending, to: upload, pool: fileIO) }
        return hasher
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
        let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
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

/// Hashes an upload as it is written: SHA-1 and MD5 always, as ownCloud does (the Nextcloud client checks SHA-1,
/// rclone's owncloud mode MD5), and Adler-32 when the client sent one. Each digest is its own box so the three can
/// run on different threads while the bytes are written on a third; each box is used by one task at a time.
final class UploadHasher: @unchecked Sendable {
    final class Box<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let sha1 = Box(Insecure.SHA1())
    private let md5 = Box(Insecure.MD5())
    private let adler: Box<UInt>?
    private(set) var size: Int64 = 0

    init(extra: ChecksumAlgorithm?) {
        adler = extra == .adler32 ? Box(adler32(0, nil, 0)) : nil
    }

    /// Writes and hashes one batch, in parallel on `pool`'s threads.
    func write(_ buffers: [ByteBuffer], to upload: UploadFile, pool: NIOThreadPool) async throws {
        let (sha1, md5, adler) = (sha1, md5, adler)
        async let written: Void = pool.runIfActive {
            for buffer in buffers { try buffer.withUnsafeReadableBytes { try upload.write($0) } }
        }
        async let sha1Done: Void = pool.runIfActive {
            for buffer in buffers { buffer.withUnsafeReadableBytes { sha1.value.update(bufferPointer: $0) } }
        }
        async let md5Done: Void = pool.runIfActive {
            for buffer in buffers { buffer.withUnsafeReadableBytes { md5.value.update(bufferPointer: $0) } }
            if let adler {
                for buffer in buffers {
                    buffer.withUnsafeReadableBytes { bytes in
                        guard let base = bytes.baseAddress else { return }
                        adler.value = adler32(
                            adler.value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                    }
                }
            }
        }
        try await written
        try await sha1Done
        try await md5Done
        size += Int64(buffers.reduce(0) { $0 + $1.readableBytes })
    }

    /// The same, on the calling thread (chunk assembly, copies: already off the event loop).
    func write(_ buffers: [ByteBuffer], to upload: UploadFile) throws(StorageError) {
        for buffer in buffers {
            try buffer.withUnsafeReadableBytes { bytes throws(StorageError) in
                try upload.write(bytes)
                sha1.value.update(bufferPointer: bytes)
                md5.value.update(bufferPointer: bytes)
                if let adler, let base = bytes.baseAddress {
                    adler.value = adler32(adler.value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                }
            }
            size += Int64(buffer.readableBytes)
        }
    }

    func checksums() -> Checksums {
        let adlerHex = adler.map { String($0.value, radix: 16) }
        return Checksums(
            sha1: Self.hex(sha1.value.finalize()), md5: Self.hex(md5.value.finalize()),
            adler32: adlerHex.map { String(repeating: "0", count: max(0, 8 - $0.count)) + $0 }, modified: 0, size: size)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
