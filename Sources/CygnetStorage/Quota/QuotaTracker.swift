public import CygnetRuntime
import NIOPosix
import SQLKit

/// How much each user may store and has stored. Usage is measured by a walk of the space (sessions write it too),
/// kept for a short while and moved along with every upload; uploads in flight reserve their size first, so two
/// parallel uploads cannot both squeeze into the last free megabytes.
public actor QuotaTracker {
    let store: SQLStore
    let defaultLimit: Int64?
    let groupLimits: [String: Int64?]
    let groups: GroupDirectory?
    private var measured: [String: (bytes: Int64, at: ContinuousClock.Instant)] = [:]
    private var reserved: [String: Int64] = [:]
    /// Limits as last read: every upload asks, and a change by `cygnet users quota` may take a few seconds.
    private var limits: [String: (bytes: Int64?, at: ContinuousClock.Instant)] = [:]

    static let remeasureAfter = Duration.seconds(30)
    static let rereadLimitAfter = Duration.seconds(5)

    public init(
        store: SQLStore, defaultLimit: Int64?, groupLimits: [String: Int64?] = [:], groups: GroupDirectory? = nil
    ) {
        self.store = store
        self.defaultLimit = defaultLimit
        self.groupLimits = groupLimits
        self.groups = groups
    }

    public struct Status: Sendable, Equatable {
        public var used: Int64
        public var limit: Int64?

        /// What WebDAV's `quota-available-bytes` says: bytes left, or -3 for no limit.
        public var available: Int64 { limit.map { max(0, $0 - used) } ?? -3 }
    }

    /// A promise of room for one upload; give it back with `settle` or `release`.
    public struct Reservation: Sendable {
        let user: String
        let bytes: Int64
        /// The most this upload may write before it is refused.
        public let allowance: Int64?
    }

    public func status(user: String, space: SpaceFileSystem) async throws -> Status {
        Status(used: try await usage(user: user, space: space), limit: try await limit(for: user))
    }

    /// Reserves `bytes` for a write that replaces `replacing` bytes; 507 when it cannot fit.
    public func reserve(user: String, space: SpaceFileSystem, bytes: Int64, replacing: Int64 = 0) async throws
        -> Reservation
    {
        guard let limit = try await limit(for: user) else {
            return Reservation(user: user, bytes: 0, allowance: nil)
        }
        let used = try await usage(user: user, space: space) + reserved[user, default: 0]
        let room = limit - used + replacing
        guard bytes <= room else {
            throw StorageError(
                .insufficientStorage,
                "Not enough space: this needs \(ByteSize.describe(bytes)) and \(ByteSize.describe(max(0, room))) "
                    + "of the \(ByteSize.describe(limit)) quota is free")
        }
        reserved[user, default: 0] += bytes
        return Reservation(user: user, bytes: bytes, allowance: room)
    }

    /// The write finished: its space now counts as used (`delta` may be negative for a smaller replacement).
    public func settle(_ reservation: Reservation, delta: Int64) {
        release(reservation)
        if let current = measured[reservation.user] {
            measured[reservation.user] = (max(0, current.bytes + delta), current.at)
        }
    }

    public func release(_ reservation: Reservation) {
        reserved[reservation.user, default: 0] -= reservation.bytes
    }

    /// Forgets the measured usage (after deletes, moves out of the space, or a restore).
    public func invalidate(user: String) {
        measured[user] = nil
    }

    func usage(user: String, space: SpaceFileSystem) async throws -> Int64 {
        if let known = measured[user], ContinuousClock.now - known.at < Self.remeasureAfter { return known.bytes }
        let bytes = try await NIOThreadPool.singleton.runIfActive { try space.summary(of: .root).totalSize }
        measured[user] = (bytes, .now)
        return bytes
    }

    /// The user's own quota if one was set; else the largest of their groups' (none if any group has none); else
    /// the default.
    func limit(for user: String) async throws -> Int64? {
        if let known = limits[user], ContinuousClock.now - known.at < Self.rereadLimitAfter { return known.bytes }
        let bytes = try await currentLimit(for: user)
        limits[user] = (bytes, .now)
        return bytes
    }

    private func currentLimit(for user: String) async throws -> Int64? {
        if let own = try await QuotaStore(store: store).limit(for: user) { return own }
        if !groupLimits.isEmpty, let groups {
            let limits = await groups.groups(of: user).compactMap { groupLimits[$0] }
            if !limits.isEmpty { return limits.contains { $0 == nil } ? nil : limits.compactMap { $0 }.max() }
        }
        return defaultLimit
    }
}

/// Quotas set for single users (`cygnet users quota`), over the default from the settings.
public struct QuotaStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    /// `.some(nil)` means explicitly unlimited; nil means the user has no quota of their own.
    public func limit(for user: String) async throws -> Int64?? {
        let row = try await store.read { db in
            try await db.raw("SELECT bytes FROM storage_quotas WHERE user_name = \(bind: user)").first()
        }
        guard let row else { return nil }
        return .some(try row.decodeNil(column: "bytes") ? nil : try row.decode(column: "bytes", as: Int64.self))
    }

    public func set(user: String, bytes: Int64?) async throws {
        try await store.transaction { db in
            try await db.raw(
                """
                INSERT INTO storage_quotas (user_name, bytes) VALUES (\(bind: user), \(bind: bytes))
                ON CONFLICT (user_name) DO UPDATE SET bytes = excluded.bytes
                """
            ).run()
        }
    }

    public func clear(user: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM storage_quotas WHERE user_name = \(bind: user)").run()
        }
    }
}
