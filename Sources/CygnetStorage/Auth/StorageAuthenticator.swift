public import CygnetRuntime
import Foundation
public import HTTPTypes

/// Who a request comes from: a user (with the groups their token named), or someone holding a public link.
public struct StorageIdentity: Sendable {
    public var name: String
    public var groups: [String]
    /// Set for requests through a public link: the share the link opens.
    public var link: Share?

    public var isLink: Bool { link != nil }
}

/// Says who a request comes from: HTTP Basic with an app password (what desktop sync clients send), or a bearer
/// token from cygnet-auth (rclone's `bearer_token`, other services); public links by token and password.
public struct StorageAuthenticator: Sendable {
    let appPasswords: AppPasswordStore
    let tokens: TokenVerifier?
    let shares: ShareStore
    let linkPasswords: LinkPasswordCache
    let appPasswordChecks: RecentChecks
    let groups: GroupDirectory?

    public init(appPasswords: AppPasswordStore, tokens: TokenVerifier?, shares: ShareStore, groups: GroupDirectory?) {
        self.appPasswords = appPasswords
        self.tokens = tokens
        self.shares = shares
        self.groups = groups
        self.linkPasswords = LinkPasswordCache()
        self.appPasswordChecks = RecentChecks()
    }

    public func user(for headers: HTTPFields) async throws -> String {
        try await identity(for: headers).name
    }

    /// The signed-in user, or an `unauthorized` error saying what was wrong.
    public func identity(for headers: HTTPFields) async throws -> StorageIdentity {
        let (name, groups) = try await signedIn(headers)
        return StorageIdentity(name: name, groups: groups, link: nil)
    }

    /// A public link's visitor: the link's token comes from the URL or, on `/public.php/webdav/`, as the Basic user
    /// name; a link with a password needs it as the Basic password. Expired and unknown links are "not found".
    public func linkIdentity(token: String?, headers: HTTPFields) async throws -> StorageIdentity {
        let basic = headers[.authorization].flatMap(Self.basicCredentials)
        guard let token = token ?? basic?.user, !token.isEmpty else {
            throw StorageError(.unauthorized, "Open the link with its token as the user name")
        }
        guard let share = try await shares.find(token: token),
            !share.isExpired(now: Int64(Date().timeIntervalSince1970))
        else { throw StorageError(.notFound, "This link does not exist or has expired") }
        if let hash = share.passwordHash {
            guard let password = basic?.password, try await linkPasswords.verify(password, against: hash) else {
                throw StorageError(.unauthorized, "This link needs its password")
            }
        }
        return StorageIdentity(name: "link:" + token, groups: [], link: share)
    }

    static func basicCredentials(_ header: String) -> (user: String, password: String)? {
        guard header.count > 6, header.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(header.dropFirst(6).trimmingWhitespace())),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private func signedIn(_ headers: HTTPFields) async throws -> (String, [String]) {
        guard let header = headers[.authorization] else {
            throw StorageError(.unauthorized, "Sign in: send your user name and an app password (HTTP Basic)")
        }
        if header.prefix(6).lowercased() == "basic " {
            guard let (user, password) = Self.basicCredentials(header) else {
                throw StorageError(.unauthorized, "The Basic credentials are malformed")
            }
            let key = SecretDigest.hash(user + "\u{0}" + password)
            if await !appPasswordChecks.contains(key) {
                guard AccountName.isValid(user),
                    try await appPasswords.verify(
                        userName: user, password: password, now: Int64(Date().timeIntervalSince1970))
                else { throw StorageError(.unauthorized, "Wrong user name or app password") }
                await appPasswordChecks.insert(key)
            }
            return (user, await groups?.groups(of: user) ?? [])
        }
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            guard let tokens else { throw StorageError(.unauthorized, "Bearer tokens are not accepted here") }
            do {
                let claims = try await tokens.verify(String(header.dropFirst(7)))
                guard let user = claims.preferredUsername, AccountName.isValid(user) else {
                    throw StorageError(.unauthorized, "The token names no user")
                }
                return (user, claims.groups ?? [])
            } catch let error as TokenVerificationError {
                throw StorageError(.unauthorized, "The bearer token was refused: \(error)")
            }
        }
        throw StorageError(.unauthorized, "Use HTTP Basic with an app password, or a bearer token")
    }
}

/// Link passwords are hashed with scrypt, far too slow to check on every request of a download or a listing:
/// a password that matched is remembered (as a digest) for a few minutes.
actor LinkPasswordCache {
    private var verified: [String: ContinuousClock.Instant] = [:]
    private let hasher = PasswordHasher()

    func verify(_ password: String, against hash: String) async throws -> Bool {
        let key = SecretDigest.hash(hash + "\u{0}" + password)
        if let until = verified[key], until > .now { return true }
        guard try await hasher.verify(password, against: hash) else { return false }
        if verified.count > 10_000 { verified.removeAll() }
        verified[key] = .now + .seconds(300)
        return true
    }
}

/// App passwords that matched in the last few seconds (as digests), so a sync client's burst of requests asks the
/// database once; a revoked password stops working within `lifetime`.
actor RecentChecks {
    private var entries: [String: ContinuousClock.Instant] = [:]
    static let lifetime = Duration.seconds(15)

    func contains(_ key: String) -> Bool {
        guard let until = entries[key] else { return false }
        if until > .now { return true }
        entries[key] = nil
        return false
    }

    func insert(_ key: String) {
        if entries.count > 10_000 { entries = entries.filter { $0.value > .now } }
        entries[key] = .now + Self.lifetime
    }
}
