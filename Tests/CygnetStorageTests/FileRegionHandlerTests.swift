import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import CygnetStorage

/// The handler's ordering rules, on the two handlers of the pipeline it works between: HTTP-types parts come from
/// above (Hummingbird), HTTP/1 parts with file regions leave below (towards NIO's encoder).
@Suite struct FileRegionHandlerTests {
    final class OpenFile {
        let handle: NIOFileHandle
        init() throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("region-\(UUID().uuidString)")
            try Data(repeating: 7, count: 1000).write(to: path)
            handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: open(path.path, O_RDONLY))
            unlink(path.path)
        }
        func region(_ range: Range<Int>) -> FileRegion {
            FileRegion(fileHandle: handle, readerIndex: range.lowerBound, endIndex: range.upperBound)
        }
        deinit { try? handle.close() }
    }

    func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(FileRegionHandler())
        return channel
    }

    func head(download: UInt64?) -> HTTPResponsePart {
        var response = HTTPResponse(status: .ok)
        response.headerFields[.contentLength] = "300"
        if let download { response.headerFields[FileRegionHandler.header] = String(download) }
        return .head(response)
    }

    /// The next part that left the pipeline: the head, a file region's bounds, or the end.
    enum Sent: Equatable {
        case head(hasMarker: Bool)
        case region(Range<Int>)
        case bytes, end
    }

    func nextSent(_ channel: EmbeddedChannel) throws -> Sent? {
        guard let part = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        switch part {
        case .head(let head): return .head(hasMarker: head.headers.contains(name: FileRegionHandler.header.rawName))
        case .body(.fileRegion(let region)): return .region(region.readerIndex..<region.endIndex)
        case .body(.byteBuffer): return .bytes
        case .end: return .end
        }
    }

    /// How a piece's future ended, if it has: on the embedded loop, callbacks run as the promise completes, on the
    /// test's own thread (hence unchecked).
    final class Outcome: @unchecked Sendable {
        var result: Result<Void, any Error>?
        init(_ future: EventLoopFuture<Void>) { future.whenComplete { self.result = $0 } }
        var succeeded: Bool { if case .success = result { true } else { false } }
        var error: (any Error)? { if case .failure(let error) = result { error } else { nil } }
    }

    @Test func piecesGoOutAfterTheirHeadAndBeforeTheEnd() throws {
        let channel = try makeChannel()
        let file = try OpenFile()
        let sender = FileRegionSender(channel: channel, download: 42)

        let early = Outcome(sender.send(file.region(0..<100)))  // before Hummingbird wrote the head: it waits
        channel.embeddedEventLoop.run()
        #expect(try nextSent(channel) == nil)
        #expect(early.result == nil)

        try channel.writeOutbound(head(download: 42))
        #expect(try nextSent(channel) == .head(hasMarker: false))
        #expect(try nextSent(channel) == .region(0..<100))
        #expect(early.succeeded)

        let later = Outcome(sender.send(file.region(100..<300)))
        channel.embeddedEventLoop.run()
        #expect(try nextSent(channel) == .region(100..<300))
        #expect(later.succeeded)

        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try nextSent(channel) == .end)
        _ = try channel.finish()
    }

    @Test func responsesWithoutTheMarkerPassUntouched() throws {
        let channel = try makeChannel()
        try channel.writeOutbound(head(download: nil))
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "hello")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try nextSent(channel) == .head(hasMarker: false))
        #expect(try nextSent(channel) == .bytes)
        #expect(try nextSent(channel) == .end)
        _ = try channel.finish()
    }

    @Test func aPieceOfAnotherDownloadFailsAndOneStillWaitingFailsWhenTheConnectionCloses() throws {
        let channel = try makeChannel()
        let file = try OpenFile()
        let stranger = Outcome(FileRegionSender(channel: channel, download: 1).send(file.region(0..<10)))
        channel.embeddedEventLoop.run()
        try channel.writeOutbound(head(download: 2))
        #expect(try nextSent(channel) == .head(hasMarker: false))
        #expect(stranger.error is FileRegionSender.Abandoned)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try nextSent(channel) == .end)

        // Download 3's head never comes: the connection closes first.
        let waiting = Outcome(FileRegionSender(channel: channel, download: 3).send(file.region(0..<10)))
        channel.embeddedEventLoop.run()
        #expect(try nextSent(channel) == nil)
        #expect(waiting.result == nil)
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(waiting.error is ChannelError)
    }
}
