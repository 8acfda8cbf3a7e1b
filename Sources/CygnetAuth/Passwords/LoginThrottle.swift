/// Slows down password guessing. Per account: after `accountFailures` wrong passwords within `window`, the account
/// refuses logins for a lock time that doubles with every further lock (up to `maximumLock`). Per client address:
/// after `addressFailures` wrong passwords within `window`, that address is locked the same way. Another account
/// from the same address is only affected once the address itself crosses its (higher) limit.
///
/// A plain value type: the owner (an actor) keeps it and asks it before and after each password check.
public struct LoginThrottle: Sendable {
    public struct Policy: Sendable, Equatable {
        public var accountFailures: Int
        public var addressFailures: Int
        public var window: Duration
        public var firstLock: Duration
        public var maximumLock: Duration

        public init(
            accountFailures: Int = 5, addressFailures: Int = 30, window: Duration = .seconds(900),
            firstLock: Duration = .seconds(30), maximumLock: Duration = .seconds(900)
        ) {
            self.accountFailures = accountFailures
            self.addressFailures = addressFailures
            self.window = window
            self.firstLock = firstLock
            self.maximumLock = maximumLock
        }
    }

    struct Counter: Sendable {
        var failures: [ContinuousClock.Instant] = []
        var lockedUntil: ContinuousClock.Instant?
        var locks = 0
    }

    public let policy: Policy
    private var accounts: [String: Counter] = [:]
    private var addresses: [String: Counter] = [:]

    public init(policy: Policy) {
        self.policy = policy
    }

    /// How long the caller must wait before this account may try from this address; nil when it may try now.
    public func waitTime(account: String, address: String, now: ContinuousClock.Instant) -> Duration? {
        let waits = [accounts[account]?.lockedUntil, addresses[address]?.lockedUntil].compactMap { until in
            until.flatMap { $0 > now ? $0 - now : nil }
        }
        return waits.max()
    }

    public mutating func recordFailure(account: String, address: String, now: ContinuousClock.Instant) {
        Self.record(&accounts[account, default: Counter()], limit: policy.accountFailures, policy: policy, now: now)
        Self.record(&addresses[address, default: Counter()], limit: policy.addressFailures, policy: policy, now: now)
        prune(now: now)
    }

    public mutating func recordSuccess(account: String) {
        accounts[account] = nil
    }

    private static func record(_ counter: inout Counter, limit: Int, policy: Policy, now: ContinuousClock.Instant) {
        counter.failures.removeAll { now - $0 > policy.window }
        counter.failures.append(now)
        guard counter.failures.count >= limit else { return }
        let lock = min(policy.firstLock * (1 << min(counter.locks, 20)), policy.maximumLock)
        counter.lockedUntil = now + lock
        counter.locks += 1
        counter.failures.removeAll()
    }

    /// Keeps memory bounded under a spray of usernames or addresses.
    private mutating func prune(now: ContinuousClock.Instant) {
        guard accounts.count + addresses.count > 100_000 else { return }
        let policy = self.policy
        let stale: (Counter) -> Bool = { counter in
            (counter.lockedUntil.map { $0 < now } ?? true) && counter.failures.allSatisfy { now - $0 > policy.window }
        }
        accounts = accounts.filter { !stale($0.value) }
        addresses = addresses.filter { !stale($0.value) }
    }
}
