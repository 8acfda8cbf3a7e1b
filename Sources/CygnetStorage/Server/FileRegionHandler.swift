import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Sends a download's bytes from the page cache to the socket with sendfile(2), as nginx does, instead of reading
/// them into buffers and writing those: one copy fewer, and no buffer per chunk.
///
/// Hummingbird's response writer takes buffers only, so the bytes of a file take a side way: the response head
/// names the download with `x-cygnet-file-region` (removed here), and `FileRegionSender` hands the file's pieces to
/// this handler on the channel's event loop. They are written below the HTTP-types codec, where the HTTP/1 encoder
/// takes file regions, after the head and before the response's end (Hummingbird writes the end once the body, which
/// waits for every piece, has returned). Pieces that arrive before their head wait for it; pieces of a response whose
/// head never came fail, as do those still waiting when the connection closes, so a body never waits for ever.
final class FileRegionHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let header = HTTPField.Name("x-cygnet-file-region")!

    private struct Piece {
        let download: UInt64
        let region: FileRegion
        let promise: EventLoopPromise<Void>
    }

    /// The download whose head has gone out and whose end has not.
    private var sending: UInt64?
    private var waiting: [Piece] = []
    private var encoderSide: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        encoderSide = try? context.pipeline.syncOperations.context(handlerType: HTTP1ToHTTPServerCodec.self)
    }

    /// Also when the connection closes: NIO then removes every handler.
    func handlerRemoved(context: ChannelHandlerContext) {
        failWaiting(ChannelError.ioOnClosedChannel)
        encoderSide = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            guard let download = head.headerFields[Self.header] else {
                context.write(data, promise: promise)
                return
            }
            head.headerFields[Self.header] = nil
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            sending = UInt64(download)
            // Only this response's pieces can be waiting: Hummingbird runs a body after writing its head. Others
            // fail in `send`, should any be there.
            let queued = waiting
            waiting = []
            for piece in queued { send(piece) }
        case .end:
            sending = nil
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        }
    }

    /// Called on the event loop by `FileRegionSender`.
    fileprivate func enqueue(download: UInt64, region: FileRegion, promise: EventLoopPromise<Void>) {
        let piece = Piece(download: download, region: region, promise: promise)
        if sending == download {
            send(piece)
        } else {
            waiting.append(piece)
        }
    }

    private func send(_ piece: Piece) {
        guard piece.download == sending, let encoderSide else {
            piece.promise.fail(FileRegionSender.Abandoned())
            return
        }
        encoderSide.writeAndFlush(
            NIOAny(HTTPServerResponsePart.body(.fileRegion(piece.region))), promise: piece.promise)
    }

    private func failWaiting(_ error: any Error) {
        let queued = waiting
        waiting = []
        for piece in queued { piece.promise.fail(error) }
    }
}

/// A download's pieces on their way to `FileRegionHandler`, from the task that answers the request.
struct FileRegionSender: Sendable {
    /// The response this piece belonged to was not sent (replaced by another, or the connection closed).
    struct Abandoned: Error {}
    /// The file became shorter than the part of it being sent.
    struct Truncated: Error {}

    /// The connection; its pipeline has a `FileRegionHandler` (the server adds one to every connection; a piece sent
    /// where there is none fails).
    let channel: any Channel
    /// Names the response the pieces belong to.
    var download: UInt64 = .random(in: 1...UInt64.max)

    /// What the response head carries so the handler knows which download follows it.
    var headerValue: String { String(download) }

    /// Hands `region` to the handler; the future completes once the kernel has taken all of it.
    func send(_ region: FileRegion) -> EventLoopFuture<Void> {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Void.self)
        let channel = channel
        let download = download
        loop.execute {
            do {
                try channel.pipeline.syncOperations.handler(type: FileRegionHandler.self)
                    .enqueue(download: download, region: region, promise: promise)
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// Waits until the kernel has taken a piece ending at `end`. sendfile finds nothing to send past the end of a
    /// file, and the event loop would retry such a piece for ever, so while one is on its way the file's size is
    /// checked every second; if it shrank below `end` (a session truncated it), the connection is closed and the
    /// client sees the download cut short, as nginx does.
    func wait(for sent: EventLoopFuture<Void>, while file: FileDescriptor, holds end: Int64) async throws {
        let channel = channel
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sent.get() }
            group.addTask {
                while true {
                    try await Task.sleep(for: .seconds(1))
                    if try file.status().size < end {
                        channel.close(promise: nil)
                        throw Truncated()
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
