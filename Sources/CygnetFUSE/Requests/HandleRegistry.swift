import Synchronization

/// The open file or directory handles of one mount.
///
/// A handle travels through the kernel as `fh`, a retained object pointer, so the hot path (`read`) reaches
/// it without a lock. The registry also remembers which are open: when the connection ends the kernel drops
/// releases it has not sent yet, and teardown releases those itself.
final class HandleRegistry<Handle: AnyObject & Sendable>: Sendable {
    private let open = Mutex<Set<UInt64>>([])

    /// Retains `handle` until ``take(_:)`` and returns the `fh` that stands for it.
    func store(_ handle: Handle) -> UInt64 {
        let handle = UInt64(UInt(bitPattern: Unmanaged.passRetained(handle).toOpaque()))
        open.withLock { _ = $0.insert(handle) }
        return handle
    }

    /// The handle behind `fh`, which must be open.
    static func peek(_ handle: UInt64) -> Handle {
        unmanaged(handle).takeUnretainedValue()
    }

    /// Closes `fh` and hands back its handle.
    func take(_ handle: UInt64) -> Handle {
        open.withLock { _ = $0.remove(handle) }
        return Self.unmanaged(handle).takeRetainedValue()
    }

    /// Closes every handle still open, once no more requests can arrive.
    func takeAll() -> [Handle] {
        let handles = open.withLock { open in
            defer { open.removeAll() }
            return open
        }
        return handles.map { Self.unmanaged($0).takeRetainedValue() }
    }

    private static func unmanaged(_ handle: UInt64) -> Unmanaged<Handle> {
        Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(handle))!)
    }
}

/// What an open file's `fh` stands for, so `release` hands back exactly what `open` returned.
final class OpenFileHandle: Sendable {
    let inode: UInt64
    let file: FUSEOpenFile

    init(inode: UInt64, file: FUSEOpenFile) {
        self.inode = inode
        self.file = file
    }
}
