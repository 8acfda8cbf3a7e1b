import Foundation

/// A WebDAV write lock (RFC 4918 §6, §9.10).
struct ActiveLock: Sendable, Equatable {
    var token: String
    var space: String
    var root: SpacePath
    var infinite: Bool
    var exclusive: Bool
    var ownerXML: String
    var timeoutSeconds: Int
    var expires: ContinuousClock.Instant

    /// True when the lock protects `path`: it is the lock's root, or below a depth-infinity lock.
    func covers(_ path: SpacePath) -> Bool {
        path == root || (infinite && path.isWithin(root))
    }
}

/// The locks of all spaces, in memory: locks are short-lived (clients refresh them) and a restart that forgets them
/// only makes clients lock again.
actor LockManager {
    private var locks: [String: ActiveLock] = [:]

    static let defaultTimeout = 3600
    static let maximumTimeout = 86400

    private func purgeExpired() {
        let now = ContinuousClock.now
        locks = locks.filter { $0.value.expires > now }
    }

    /// Locks on `path` or covering it from above.
    func covering(space: String, path: SpacePath) -> [ActiveLock] {
        purgeExpired()
        return locks.values.filter { $0.space == space && $0.covers(path) }
    }

    /// Locks rooted at `path` or anywhere below it.
    func within(space: String, path: SpacePath) -> [ActiveLock] {
        purgeExpired()
        return locks.values.filter { $0.space == space && $0.root.isWithin(path) }
    }

    func lock(
        space: String, path: SpacePath, infinite: Bool, exclusive: Bool, ownerXML: String, timeout: Int
    ) throws(StorageError) -> ActiveLock {
        var conflicting = covering(space: space, path: path)
        if infinite { conflicting += within(space: space, path: path) }
        if conflicting.contains(where: { $0.exclusive || exclusive }) {
            throw StorageError(.locked, "\(path.isRoot ? "/" : path.description) is locked by someone else")
        }
        let lock = ActiveLock(
            token: "opaquelocktoken:" + UUID().uuidString.lowercased(), space: space, root: path, infinite: infinite,
            exclusive: exclusive, ownerXML: ownerXML, timeoutSeconds: timeout,
            expires: .now + .seconds(timeout))
        locks[lock.token] = lock
        return lock
    }

    /// Extends a lock the client names; nil when it does not exist or does not cover `path`.
    func refresh(space: String, path: SpacePath, tokens: Set<String>, timeout: Int) -> ActiveLock? {
        purgeExpired()
        for token in tokens {
            guard var lock = locks[token], lock.space == space, lock.covers(path) else { continue }
            lock.timeoutSeconds = timeout
            lock.expires = .now + .seconds(timeout)
            locks[token] = lock
            return lock
        }
        return nil
    }

    func unlock(space: String, path: SpacePath, token: String) -> Bool {
        guard let lock = locks[token], lock.space == space, lock.covers(path) else { return false }
        locks[token] = nil
        return true
    }

    /// Forgets the locks of what was deleted or moved away.
    func release(space: String, path: SpacePath) {
        locks = locks.filter { !($0.value.space == space && $0.value.root.isWithin(path)) }
    }

    /// Refuses a change to each of `paths` and everything below them unless the client submitted the token of
    /// every lock involved. With `membership`, a path appearing in or leaving its folder also needs the folder's locks.
    func checkUnlocked(space: String, paths: [SpacePath], membership: Bool, tokens: Set<String>) throws(StorageError) {
        for path in paths {
            var involved = covering(space: space, path: path) + within(space: space, path: path)
            if membership, let parent = path.parent { involved += covering(space: space, path: parent) }
            if let held = involved.first(where: { !tokens.contains($0.token) }) {
                throw StorageError(
                    .locked, "\(held.root.isRoot ? "/" : held.root.description) is locked; send its lock token",
                    precondition: "lock-token-submitted")
            }
        }
    }
}
