/// JupyterHub's permission model (RBAC scopes), the subset the hub's API checks: a scope such as
/// `delete:servers` may be narrowed with a filter (`delete:servers!user=alice`, `access:servers!server=alice/`,
/// `read:users!group=class-7b`). Broad scopes imply narrower ones (`admin:servers` ⊃ `servers` ⊃ `read:servers`).
public struct Scopes: Sendable, Equatable {
    public private(set) var granted: [String]

    public init(_ granted: [String]) {
        self.granted = granted
    }

    /// Every scope of an administrator.
    public static let everything = Scopes(["admin:users", "admin:servers", "admin:groups", "access:servers"])

    /// What a signed-in user may do to their own things.
    public static func owner(_ name: String) -> Scopes {
        Scopes(
            [
                "users", "servers", "access:servers", "tokens", "read:groups",
            ].map { "\($0)!user=\(name)" })
    }

    static let implied: [String: [String]] = [
        "admin:users": ["users", "delete:users", "tokens", "admin:auth_state"],
        "users": ["read:users", "list:users", "users:activity"],
        "read:users": ["read:users:name", "read:users:groups", "read:users:activity"],
        "users:activity": ["read:users:activity"],
        "admin:servers": ["servers", "admin:server_state"],
        "servers": ["read:servers", "delete:servers"],
        "tokens": ["read:tokens"],
        "admin:groups": ["groups", "delete:groups"],
        "groups": ["read:groups", "list:groups"],
        "read:groups": ["read:groups:name"],
        "read:users:name": [],
        "read:users:groups": [],
        "read:users:activity": [],
        "list:users": [],
        "delete:users": [],
        "admin:auth_state": [],
        "read:servers": [],
        "delete:servers": [],
        "admin:server_state": [],
        "access:servers": [],
        "read:tokens": [],
        "delete:groups": [],
        "list:groups": [],
        "read:groups:name": [],
    ]

    /// Whether `scope` (with or without a filter) is one the hub knows.
    public static func isKnown(_ scope: String) -> Bool {
        let (base, filter) = split(scope)
        guard implied[base] != nil else { return false }
        guard let filter else { return true }
        return filter.hasPrefix("user=") || filter.hasPrefix("server=") || filter.hasPrefix("group=")
    }

    static func split(_ scope: String) -> (base: String, filter: String?) {
        guard let bang = scope.firstIndex(of: "!") else { return (scope, nil) }
        return (String(scope[..<bang]), String(scope[scope.index(after: bang)...]))
    }

    /// `scope` and everything it implies.
    static func expand(_ base: String) -> Set<String> {
        var result: Set<String> = [base]
        var pending = [base]
        while let next = pending.popLast() {
            for implied in implied[next] ?? [] where result.insert(implied).inserted {
                pending.append(implied)
            }
        }
        return result
    }

    /// The granted scopes with everything they imply, filters kept (`read:users!user=a` ⇒ `read:users:name!user=a`).
    public var expanded: [String] {
        var result: [String] = []
        var seen: Set<String> = []
        for scope in granted {
            let (base, filter) = Self.split(scope)
            for implied in Self.expand(base).sorted() {
                let full = filter.map { "\(implied)!\($0)" } ?? implied
                if seen.insert(full).inserted { result.append(full) }
            }
        }
        return result
    }

    /// Whether the holder may use `scope` on user `user` (and their server `server`, "" for the default server);
    /// `groups` are the user's groups, for `!group=` filters. `user == nil` asks for the unfiltered scope.
    public func allows(_ scope: String, user: String? = nil, server: String? = nil, groups: [String] = []) -> Bool {
        for held in granted {
            let (base, filter) = Self.split(held)
            guard Self.expand(base).contains(scope) else { continue }
            guard let filter else { return true }
            guard let user else { continue }
            if filter == "user=\(user)" { return true }
            if let server, filter == "server=\(user)/\(server)" { return true }
            if filter.hasPrefix("group="), groups.contains(String(filter.dropFirst("group=".count))) { return true }
        }
        return false
    }

    /// Whether the holder may use `scope` on someone at all (for list endpoints, which then filter per user).
    public func allowsAny(_ scope: String) -> Bool {
        granted.contains { Self.expand(Self.split($0).base).contains(scope) }
    }
}
