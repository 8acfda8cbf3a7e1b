import Synchronization

/// When a route last carried traffic. Written from every event loop on the data path, so it is a
/// single relaxed atomic rather than anything that needs a lock; a slightly stale read is fine
/// for the hub's idle culling.
public final class RouteActivity: Sendable {
    private let lastMilliseconds: Atomic<Int64>

    init(milliseconds: Int64 = WallClock.nowMilliseconds()) {
        self.lastMilliseconds = Atomic(milliseconds)
    }

    public var lastActivityMilliseconds: Int64 {
        lastMilliseconds.load(ordering: .relaxed)
    }

    /// Loads before storing so that busy routes, touched many times per clock tick from several
    /// cores, keep their cache line shared instead of bouncing it on every request.
    func touch() {
        let now = WallClock.nowMilliseconds()
        if lastMilliseconds.load(ordering: .relaxed) < now {
            lastMilliseconds.store(now, ordering: .relaxed)
        }
    }
}
