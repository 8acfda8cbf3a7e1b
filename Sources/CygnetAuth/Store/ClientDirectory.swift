/// Registered clients as the token endpoint sees them: a read-through cache over `ClientStore`, because every
/// token request authenticates its client and clients change rarely. An entry is trusted for `lifetime`; a client
/// removed with `cygnet clients remove` (another process) is refused at most that long after. Unknown ids are not
/// cached, so a client just added works at once.
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
