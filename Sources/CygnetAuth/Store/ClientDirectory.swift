/// Registered clients as the back-channel endpoints (token, revoke, introspect) see them: a read-through cache
/// over `ClientStore`, because every token request authenticates its client and clients change rarely. An entry
/// is trusted for `lifetime`. Removing a client (`cygnet clients remove`, another process) revokes its grants at
/// once, so its refresh tokens stop working; only new client-credentials tokens remain possible for up to
/// `lifetime`. Browser paths (authorize, logout) read the store directly. Unknown ids are not cached.
public actor ClientDirectory {
    private let store: ClientStore
    private let lifetime: Duration
    private var entries: [String: (client: RegisteredClient, fetched: ContinuousClock.Instant)] = [:]

    public init(store: ClientStore, lifetime: Duration = .seconds(5)) {
        self.store = store
        self.lifetime = lifetime
    }

    public func find(id: String) async throws -> RegisteredClient? {
        let now = ContinuousClock.now
        if let entry = entries[id], now - entry.fetched < lifetime { return entry.client }
        guard let client = try await store.find(id: id) else {
            entries[id] = nil
            return nil
        }
        if entries.count > 10_000 { entries.removeAll() }
        entries[id] = (client, now)
        return client
    }
}
