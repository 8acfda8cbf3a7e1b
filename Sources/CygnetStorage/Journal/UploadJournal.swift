import CLinux
import Glibc
import NIOCore
import Synchronization

/// Makes small uploads durable the way databases make commits durable: each upload's content goes into an append-only
/// journal that is synced once for all the uploads finishing together, and the file itself is written to its folder
/// without waiting for the disk. A checkpoint every second (`syncfs` of the file systems the uploads went to, off the
/// request path) makes the files themselves durable; the journal's records up to there are then dropped. After a
/// power cut, the next start writes back every journaled upload the disk lost (`UploadRecovery`).
///
/// Why: syncing each small file (its data and inode, then its folder's new entry) cost three synchronous writes and
/// their waits per upload, about a third of the server's CPU per 4 KiB PUT; a group of journal records costs one.
///
/// Two segment files take turns: uploads append to the active one while the other is checkpointed, so a checkpoint
/// that waits for a slow disk (a session writing a big file) never holds up an upload's answer. When the active
/// segment is full and the other is not yet free, uploads sync their files directly, as before. Segments are filled
/// with zeros ahead of the records, so syncing a group writes the records' blocks and no file size or block map.
final class UploadJournal: Sendable {
    /// What an upload tells the journal: enough to write the file again exactly as it was answered.
    struct Record: Sendable, Equatable {
        var owner: String
        var path: String
        /// The file's change time (ctime, ns) and inode once it was in place: a file changed later is newer than
        /// this upload. Change times come from a coarse clock (a few ms), so within one tick the inode tells the
        /// upload's own file from another.
        var changed: Int64
        var inode: UInt64
        /// The file id the upload was answered with (0 in records from before ids were journaled).
        var id: Int64 = 0
        var checksums: Checksums
        var content: [UInt8]
    }

    /// Room held in the active segment for one upload, from before its file is named until its record is written.
    /// A checkpoint waits for every reservation of the segment it syncs, so a record in that segment always belongs
    /// to a file named before the sync began. Given back when dropped, if never written (a failed upload).
    final class Reservation: Sendable {
        fileprivate let journal: UploadJournal
        fileprivate let segment: Int
        fileprivate let bytes: Int
        fileprivate let open = Atomic<Bool>(true)

        fileprivate init(journal: UploadJournal, segment: Int, bytes: Int) {
            self.journal = journal
            self.segment = segment
            self.bytes = bytes
        }

        /// True the first time only.
        fileprivate func close() -> Bool {
            open.exchange(false, ordering: .acquiringAndReleasing)
        }

        deinit {
            if close() { journal.release(segment: segment, bytes: bytes, written: 0) }
        }
    }

    /// A record with the room it was given.
    struct Entry: Sendable {
        let reservation: Reservation
        var record: Record
    }

    /// Uploads up to this size are journaled; bigger ones are synced in place, where one sync per file costs little
    /// beside writing it.
    static let largestRecordedFile = 256 << 10
    static let headerBytes = 4096
    static let magic: [UInt8] = Array("CYGNETJ1".utf8)
    static let recordMagic: UInt32 = 0x4A52_5943

    private struct Segment {
        let fd: Int32
        var generation: UInt64
        /// Where the next record goes, how far the file is filled with zeros, and room promised to uploads.
        var end: Int
        var extent: Int
        var reserved = 0
        var holders = 0
        /// How far a failed write may have left bytes past `end`: the next group's write covers them with zeros, so
        /// recovery, which stops at the first record it cannot read, never finds a stale record behind a good one.
        var scribbledTo = 0
        /// Space roots whose files the records describe (their file systems are synced at the checkpoint).
        var roots: Set<String> = []
        var firstRecordAt: ContinuousClock.Instant?
    }

    private struct State {
        var segments: [Segment]
        var active = 0
        /// The segment being checkpointed (or whose checkpoint failed and is tried again); nil when the inactive
        /// segment is empty and may take over.
        var checkpointing: Int?
    }

    let folder: String
    let segmentBytes: Int
    /// Held (`flock`) while this server uses the journal: servers sharing one storage root on a shared file system
    /// must not write into the same segments.
    private let lock: Int32
    private let state: Mutex<State>
    /// Appends one at a time: the zero-filling ahead of the records must not race another writer.
    private let appending = Mutex(())

    /// Opens (or makes) the journal in `folder`. Records left from before (a crash) are in `leftOver`, oldest first;
    /// the journal takes no uploads' records until `reset` is called after they were dealt with.
    init(folder: String, segmentBytes: Int = 16 << 20) throws(StorageError) {
        self.folder = folder
        self.segmentBytes = max(segmentBytes, Self.headerBytes + (1 << 20))
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw StorageError(.internalError, "Cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        lock = Glibc.open(folder + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else {
            throw StorageError(.internalError, "Cannot open \(folder)/lock: \(String(cString: strerror(errno)))")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            throw StorageError(.locked, "Another cygnet-storage is using the upload journal in \(folder)")
        }
        var segments: [Segment] = []
        for number in 0..<2 {
            let path = folder + "/segment-\(number)"
            let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let failure = String(cString: strerror(errno))
                for segment in segments { close(segment.fd) }
                close(lock)
                throw StorageError(.internalError, "Cannot open the upload journal \(path): \(failure)")
            }
            var info = stat()
            fstat(fd, &info)
            let generation = JournalFormat.readHeader(fd) ?? 0
            segments.append(
                Segment(fd: fd, generation: generation, end: Self.headerBytes, extent: Int(info.st_size)))
        }
        state = Mutex(State(segments: segments))
        // Nothing may be appended over records not yet recovered: both segments count as full until `reset`.
        state.withLock { state in
            for index in state.segments.indices { state.segments[index].end = self.segmentBytes }
        }
    }

    deinit {
        state.withLock { state in
            for segment in state.segments { close(segment.fd) }
        }
        close(lock)
    }

    /// The records a crash left, oldest first: both segments' valid records, the older segment's first.
    func leftOver() -> [Record] {
        let segments = state.withLock { $0.segments }.sorted { $0.generation < $1.generation }
        return segments.filter { $0.generation > 0 }.flatMap {
            JournalFormat.readRecords($0.fd, generation: $0.generation)
        }
    }

    /// Empties both segments (after a recovery made their files durable) and starts taking records.
    func reset() throws(StorageError) {
        let newest = state.withLock { $0.segments.map(\.generation).max() ?? 0 }
        for index in 0..<2 {
            let (fd, extent) = state.withLock { ($0.segments[index].fd, $0.segments[index].extent) }
            let generation = newest + 1 + UInt64(index)
            let filled = max(extent, Self.headerBytes + (1 << 20))
            try extend(fd, from: max(extent, Self.headerBytes), to: filled)
            try JournalFormat.writeHeader(fd, generation: generation)
            state.withLock { state in
                state.segments[index].generation = generation
                state.segments[index].end = Self.headerBytes
                state.segments[index].scribbledTo = 0
                state.segments[index].extent = filled
                state.segments[index].roots = []
                state.segments[index].firstRecordAt = nil
            }
        }
        state.withLock { state in
            state.active = 0
            state.checkpointing = nil
        }
    }

    /// Room for a record of `contentBytes` plus its names, or nil when the active segment has none left (the caller
    /// then syncs the file itself).
    func reserve(contentBytes: Int, owner: String, path: String, root: String) -> Reservation? {
        guard contentBytes <= Self.largestRecordedFile else { return nil }
        let bytes = JournalFormat.largestEncodedSize(contentBytes: contentBytes, owner: owner, path: path)
        let segment = state.withLock { state -> Int? in
            let active = state.active
            let segment = state.segments[active]
            guard segment.end + segment.reserved + bytes <= segmentBytes else { return nil }
            state.segments[active].reserved += bytes
            state.segments[active].holders += 1
            state.segments[active].roots.insert(root)
            if segment.firstRecordAt == nil { state.segments[active].firstRecordAt = .now }
            return active
        }
        return segment.map { Reservation(journal: self, segment: $0, bytes: bytes) }
    }

    /// Writes the records and waits until the disk has them. Each entry's reservation is used up, written or not.
    func append(_ entries: [Entry]) throws(StorageError) {
        let live = entries.filter { $0.reservation.close() }
        guard !live.isEmpty else { return }
        var failure: StorageError?
        appending.withLock { _ in
            for segment in Set(live.map(\.reservation.segment)).sorted() {
                let group = live.filter { $0.reservation.segment == segment }
                do throws(StorageError) {
                    try write(group, to: segment)
                } catch {
                    failure = failure ?? error
                }
            }
        }
        if let failure { throw failure }
    }

    private func write(_ group: [Entry], to segment: Int) throws(StorageError) {
        let (fd, generation, offset, extent, scribbledTo) = state.withLock { state in
            let segment = state.segments[segment]
            return (segment.fd, segment.generation, segment.end, segment.extent, segment.scribbledTo)
        }
        let reserved = group.reduce(0) { $0 + $1.reservation.bytes }
        var bytes = ByteBufferAllocator().buffer(capacity: max(reserved, scribbledTo - offset))
        for entry in group { JournalFormat.append(entry.record, generation: generation, to: &bytes) }
        let count = bytes.readableBytes
        bytes.writeRepeatingByte(0, count: max(0, scribbledTo - offset - count))
        // Only a group the disk has is counted as written: after a failure the next group goes to the same place.
        var written = 0
        defer { release(segment: segment, bytes: reserved, written: written, holders: group.count) }
        if offset + bytes.readableBytes > extent {
            let target = min(segmentBytes, (offset + bytes.readableBytes + (1 << 20) - 1) / (1 << 20) * (1 << 20))
            try extend(fd, from: extent, to: target)
            state.withLock { $0.segments[segment].extent = target }
        }
        state.withLock { $0.segments[segment].scribbledTo = max(scribbledTo, offset + bytes.readableBytes) }
        try JournalFormat.writeAll(fd, bytes, at: offset)
        guard fdatasync(fd) == 0 else { throw JournalFormat.failure("Saving the upload journal") }
        state.withLock { $0.segments[segment].scribbledTo = 0 }
        written = count
    }

    fileprivate func release(segment: Int, bytes: Int, written: Int, holders: Int = 1) {
        state.withLock { state in
            state.segments[segment].reserved -= bytes
            state.segments[segment].end += written
            state.segments[segment].holders -= holders
        }
    }

    /// Fills `start..<end` with zeros; the sync of the next group (or header) writes them and the new size out.
    private func extend(_ fd: Int32, from start: Int, to end: Int) throws(StorageError) {
        guard end > start else { return }
        try JournalFormat.writeAll(fd, ByteBuffer(repeating: 0, count: end - start), at: start)
    }

    /// Whether a checkpoint is due: the active segment holds records older than `age` or is more than half full, or
    /// a checkpoint failed and waits to be tried again.
    func wantsCheckpoint(age: Duration) -> Bool {
        state.withLock { state in
            if state.checkpointing != nil { return true }
            let segment = state.segments[state.active]
            guard let first = segment.firstRecordAt else { return false }
            return first.duration(to: .now) >= age || (segment.end + segment.reserved) * 2 > segmentBytes
        }
    }

    /// Makes the active segment's files durable and empties it: new uploads go to the other segment meanwhile.
    /// After a failure the same segment is tried again on the next call. Blocks on the disk: run it off the request
    /// threads.
    /// `saving` runs once every record of the segment is written, before the sync: what else the records' uploads
    /// left for the checkpoint to make durable (their index rows), kept in `alsoSyncing`'s file systems.
    func checkpoint(saving: () throws -> Void = {}, alsoSyncing: Set<String> = []) throws {
        let chosen = state.withLock { state -> Int? in
            if let pending = state.checkpointing { return pending }
            guard state.segments[state.active].firstRecordAt != nil else { return nil }
            let old = state.active
            state.active = 1 - old
            state.checkpointing = old
            return old
        }
        guard let old = chosen else { return }
        // Uploads that took room in the old segment name their files before they write their records; once the
        // last has written, every file a record there describes is named, and the sync below covers it.
        while state.withLock({ $0.segments[old].holders }) > 0 { usleep(200) }
        let (fd, roots, newest) = state.withLock { state in
            (state.segments[old].fd, state.segments[old].roots, state.segments.map(\.generation).max() ?? 0)
        }
        // Until this succeeds the records stay, and uploads sync their own files once the active segment is full.
        try saving()
        try Self.syncFileSystems(holding: roots.union(alsoSyncing).union([folder]))
        try JournalFormat.writeHeader(fd, generation: newest + 1)
        state.withLock { state in
            state.segments[old].generation = newest + 1
            state.segments[old].end = Self.headerBytes
            state.segments[old].scribbledTo = 0
            state.segments[old].roots = []
            state.segments[old].firstRecordAt = nil
            state.checkpointing = nil
        }
    }

    /// `syncfs` once per file system among `paths`.
    static func syncFileSystems(holding paths: Set<String>) throws(StorageError) {
        var synced: Set<UInt64> = []
        for path in paths.sorted() {
            let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { continue }  // A space removed since: nothing of it left to save.
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, synced.insert(UInt64(info.st_dev)).inserted else { continue }
            guard cygnet_syncfs(fd) == 0 else { throw JournalFormat.failure("Saving uploads to the disk of \(path)") }
        }
    }
}
