import NIOCore
import Synchronization

/// The accepted connections still open, so that a shutdown can ask each of them to finish.
/// Only touched when a connection opens or closes, never per request.
final class ConnectionTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLock { $0[id] = nil }
        }
    }

    var open: [any Channel] {
        channels.withLock { Array($0.values) }
    }
}
