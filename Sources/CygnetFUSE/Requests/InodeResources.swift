import Synchronization

/// What the open-less mode keeps per inode instead of per open handle: the descriptor reads are answered from
/// and the listing being paged out, plus the kernel's lookup count, so both are dropped when the kernel forgets
/// the inode (no read or readdir can arrive for it after that).
final class InodeResources: Sendable {
    private struct State {
        var lookups: [UInt64: UInt64] = [:]
        var files: [UInt64: FUSEOpenFile] = [:]
        var listings: [UInt64: [FUSEDirectoryEntry]] = [:]
    }

    private let state = Mutex(State())

    func looked(up inode: UInt64, times: UInt64 = 1) {
        guard inode != 0 else { return }
        state.withLock { $0.lookups[inode, default: 0] += times }
    }

    /// Drops the inode's resources once its lookups reach zero; returns the file to release, if any.
    func forget(_ inode: UInt64, lookups: UInt64) -> FUSEOpenFile? {
        state.withLock { state in
            let remaining = (state.lookups[inode] ?? 0) &- min(lookups, state.lookups[inode] ?? 0)
            guard remaining == 0 else {
                state.lookups[inode] = remaining
                return nil
            }
            state.lookups[inode] = nil
            state.listings[inode] = nil
            return state.files.removeValue(forKey: inode)
        }
    }

    /// The descriptor for reads of `inode`, opening it on first use. Two first reads may race to open; the
    /// loser's file is released at once.
    func file(for inode: UInt64, open: () throws(FUSEError) -> FUSEOpenFile, release: (FUSEOpenFile) -> Void)
        throws(FUSEError) -> FUSEOpenFile
    {
        if let file = state.withLock({ $0.files[inode] }) { return file }
        let opened = try open()
        let (kept, raced) = state.withLock { state -> (FUSEOpenFile, Bool) in
            if let existing = state.files[inode] { return (existing, true) }
            state.files[inode] = opened
            return (opened, false)
        }
        if raced { release(opened) }
        return kept
    }

    /// The listing of `inode` for a read at `offset`: made afresh at offset 0, kept for the following pages.
    func listing(for inode: UInt64, offset: Int, make: () throws(FUSEError) -> [FUSEDirectoryEntry])
        throws(FUSEError) -> [FUSEDirectoryEntry]
    {
        if offset > 0, let listing = state.withLock({ $0.listings[inode] }) { return listing }
        let listing = try make()
        state.withLock { $0.listings[inode] = listing }
        return listing
    }

    func finishedListing(_ inode: UInt64) {
        state.withLock { _ = $0.listings.removeValue(forKey: inode) }
    }

    /// Everything still held, for teardown.
    func takeAllFiles() -> [(UInt64, FUSEOpenFile)] {
        state.withLock { state in
            defer { state.files.removeAll() }
            return state.files.map { ($0.key, $0.value) }
        }
    }
}
