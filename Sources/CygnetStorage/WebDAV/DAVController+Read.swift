import CLinux
import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore

extension DAVController {
    static let readChunkSize = 512 * 1024

    func get(_ call: Call, includeBody: Bool) async throws -> Response {
        let space = call.space
        let path = call.path
        let file = try await blocking { try space.open(path, flags: O_RDONLY | O_NOFOLLOW, action: "opening \(path)") }
        var entry = try file.status()
        entry.name = path.name
        guard !entry.isDirectory else {
            throw StorageError(
                .notAllowed, "\(path.isRoot ? "/" : path.description) is a folder; list it with PROPFIND")
        }
        let etag = "\"" + entry.fileETag + "\""
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.ocETag] = etag
        headers[.lastModified] = HTTPDate.format(seconds: entry.modifiedSeconds)
        headers[.contentType] = ContentTypes.type(of: entry.name)
        headers[.acceptRanges] = "bytes"
        let record = try await index.record(space: call.owner, path: path, entry: entry)
        headers[.ocFileID] = LiveProperties.ocID(record.id, instanceID: instanceID)
        if let sums = record.checksums, sums.isValid(for: entry), let header = sums.header {
            headers[.ocChecksum] = header
        }
        if let status = Self.readPrecondition(call.request.headers, etag: etag, modified: entry.modifiedSeconds) {
            return Self.empty(status, headers: headers)
        }
        var start: Int64 = 0
        var length = entry.size
        var status = HTTPResponse.Status.ok
        if let range = call.request.headers[.range], entry.size > 0 {
            guard let (first, last) = Self.byteRange(range, size: entry.size) else {
                // RFC 9110 §15.5.17: the 416 says how long the file is, so the client can ask again.
                var refusal = Self.errorResponse(
                    StorageError(.rangeNotSatisfiable, "The range \(range) is outside the file (\(entry.size) bytes)"),
                    method: call.request.method)
                refusal.headers[.contentRange] = "bytes */\(entry.size)"
                return refusal
            }
            start = first
            length = last - first + 1
            status = .partialContent
            headers[.contentRange] = "bytes \(first)-\(last)/\(entry.size)"
        }
        headers[.contentLength] = String(length)
        guard includeBody else { return Response(status: status, headers: headers) }
        let body = fileBody(file, start: start, length: length, channel: call.channel, headers: &headers)
        return Response(status: status, headers: headers, body: body)
    }

    /// `length` bytes of `file` from `start`. Through sendfile when there is a connection to hand the file to and the
    /// download is big enough for the hops to the event loop to pay; otherwise read in chunks on the file pool.
    func fileBody(
        _ file: FileDescriptor, start: Int64, length: Int64, channel: (any Channel)?, headers: inout HTTPFields
    ) -> ResponseBody {
        guard let channel, length >= Self.sendfileMinimum else {
            return readFileBody(file, start: start, length: length)
        }
        let sender = FileRegionSender(channel: channel)
        headers[FileRegionHandler.header] = sender.headerValue
        return sentFileBody(file, start: start, length: length, sender: sender)
    }

    static let sendfileMinimum: Int64 = 256 * 1024
    /// Each piece is read ahead (`POSIX_FADV_WILLNEED`) while the one before it is sent, so that sendfile, which runs
    /// on the event loop, mostly finds its pages in memory when the file was not.
    static let sendfilePiece: Int64 = 8 << 20

    func sentFileBody(_ file: FileDescriptor, start: Int64, length: Int64, sender: FileRegionSender) -> ResponseBody {
        ResponseBody(contentLength: Int(length)) { writer in
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.raw)
            // `file` stays the descriptor's owner and closes it; the handle only lends it to the event loop.
            defer { _ = try? handle.takeDescriptorOwnership() }
            var offset = start
            let end = start + length
            var inFlight: (sent: EventLoopFuture<Void>, end: Int64)?
            do {
                while offset < end {
                    let piece = min(Self.sendfilePiece, end - offset)
                    try await blocking { [offset] in
                        guard try file.status().size >= offset + piece else { throw FileRegionSender.Truncated() }
                        _ = posix_fadvise(file.raw, off_t(offset), off_t(piece), POSIX_FADV_WILLNEED)
                    }
                    if let inFlight { try await sender.wait(for: inFlight.sent, while: file, holds: inFlight.end) }
                    inFlight = (
                        sender.send(
                            FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + piece))),
                        offset + piece
                    )
                    offset += piece
                }
                if let inFlight { try await sender.wait(for: inFlight.sent, while: file, holds: inFlight.end) }
            } catch {
                // The response cannot be finished. Closing the connection fails what is still queued, and the
                // descriptor must not go back to `file` while the event loop may still send from it.
                sender.channel.close(promise: nil)
                try? await inFlight?.sent.get()
                throw error
            }
            try await writer.finish(nil)
        }
    }

    /// `length` bytes of `file` from `start`, read in chunks on the file pool as the client takes them.
    func readFileBody(_ file: FileDescriptor, start: Int64, length: Int64) -> ResponseBody {
        ResponseBody(contentLength: Int(length)) { writer in
            // Read on the pool while the event loop sends: on the server's own threads the reads and the sends
            // took turns, and a download of 1 GiB ran at half the speed.
            try await withTaskExecutorPreference(globalConcurrentExecutor) {
                var offset = start
                let end = start + length
                while offset < end {
                    let want = Int(min(Int64(Self.readChunkSize), end - offset))
                    let chunk = try await blocking { [offset] in try Self.read(file, at: offset, count: want) }
                    guard chunk.readableBytes > 0 else { break }
                    offset += Int64(chunk.readableBytes)
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            }
        }
    }

    static func read(_ file: FileDescriptor, at offset: Int64, count: Int) throws(StorageError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            let got = pread(file.raw, raw.baseAddress, count, off_t(offset))
            if got < 0 { failure = errno }
            return max(got, 0)
        }
        if failure != 0 { throw FileSystemErrors.mapped(failure, "reading the file") }
        return buffer
    }

    /// A single `bytes=` range as first and last offset; nil when it cannot be satisfied. Several ranges are
    /// answered with the first one's bytes only if it were allowed; we keep to one range.
    static func byteRange(_ header: String, size: Int64) -> (Int64, Int64)? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).trimmingWhitespace()
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { return nil }
            return (max(0, size - suffix), size - 1)
        }
        guard let first = Int64(parts[0]), first < size else { return nil }
        let last = parts[1].isEmpty ? size - 1 : min(Int64(parts[1]) ?? -1, size - 1)
        return last >= first ? (first, last) : nil
    }

    /// 304 or 412 for a conditional GET/HEAD (RFC 9110 §13), or nil to answer normally.
    static func readPrecondition(_ headers: HTTPFields, etag: String, modified: Int64) -> HTTPResponse.Status? {
        if let match = headers[.ifMatch], !etagList(match, contains: etag) { return .preconditionFailed }
        if let since = headers[.ifUnmodifiedSince].flatMap(HTTPDate.parse), modified > since {
            return .preconditionFailed
        }
        if let noneMatch = headers[.ifNoneMatch] {
            return etagList(noneMatch, contains: etag) ? .notModified : nil
        }
        if let since = headers[.ifModifiedSince].flatMap(HTTPDate.parse), modified <= since { return .notModified }
        return nil
    }

    static func etagList(_ header: String, contains etag: String?) -> Bool {
        let trimmed = header.trimmingWhitespace()
        if trimmed == "*" { return etag != nil }
        guard let etag else { return false }
        return trimmed.split(separator: ",").contains {
            IfHeader.sameETag($0.trimmingWhitespace(), etag)
        }
    }
}
