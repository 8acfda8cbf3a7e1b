public import CygnetRuntime
import Foundation

/// Account operations shared by the CLI, the admin API and the roster import: validation, password hashing and
/// storage in one place, so each door applies the same rules.
public struct AccountService: Sendable {
    public let users: UserStore
    public let groups: GroupStore
    public let hasher: PasswordHasher

    public init(store: SQLStore, hasher: PasswordHasher) {
        self.users = UserStore(store: store)
        self.groups = GroupStore(store: store)
        self.hasher = hasher
    }

    public func add(_ account: NewAccount) async throws -> Account {
        try AccountValidation.check(account)
        let hash = try await hasher.hash(account.password)
        return try await users.create(account, passwordHash: hash, now: Self.now())
    }

    /// Adds all accounts in one transaction after validating and hashing every one; nothing is stored if any fails.
    public func addAll(_ accounts: [NewAccount]) async throws {
        var seen: Set<String> = []
        for account in accounts {
            try AccountValidation.check(account)
            guard seen.insert(account.username).inserted else {
                throw AuthError(.alreadyExists, "the username '\(account.username)' appears twice")
            }
        }
        try await users.createAll(try await hashAll(accounts), now: Self.now())
    }

    /// Hashes on every core at once: a class roster of hundreds would otherwise wait on one core.
    private func hashAll(_ accounts: [NewAccount]) async throws -> [(NewAccount, String)] {
        let hasher = hasher
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var hashes = [String?](repeating: nil, count: accounts.count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func startNext() {
                guard next < accounts.count else { return }
                let index = next
                let password = accounts[index].password
                group.addTask { (index, try await hasher.hash(password)) }
                next += 1
            }
            for _ in 0..<width { startNext() }
            while let (index, hash) = try await group.next() {
                hashes[index] = hash
                startNext()
            }
        }
        return zip(accounts, hashes).map { ($0, $1!) }
    }

    public func setPassword(username: String, password: String) async throws {
        try AccountValidation.checkPassword(password)
        try await users.setPasswordHash(username: username, hash: try await hasher.hash(password))
    }

    /// A password that is easy to read out to a student: four groups of four lower-case letters and digits,
    /// without look-alikes (about 77 bits).
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        let groups = (0..<4).map { _ in String((0..<4).map { _ in alphabet.randomElement(using: &generator)! }) }
        return groups.joined(separator: "-")
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// Opens the auth schema: applies its migrations. Every process that touches auth tables calls this first.
public enum AuthSchema {
    public static func migrate(_ store: SQLStore) async throws {
        try await store.migrate(module: AuthMigrations.module, AuthMigrations.all)
    }
}
