/// A person who can log in: a student, a teacher, an administrator.
public struct Account: Sendable, Equatable, Codable {
    /// Stable identifier, the OIDC `sub`; never reused, unchanged by renames.
    public var id: String
    public var username: String
    public var displayName: String
    public var email: String
    public var isDisabled: Bool
    public var isAdmin: Bool
    public var groups: [String]
    public var createdAt: Int64

    public init(
        id: String, username: String, displayName: String, email: String, isDisabled: Bool = false,
        isAdmin: Bool = false, groups: [String] = [], createdAt: Int64
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.email = email
        self.isDisabled = isDisabled
        self.isAdmin = isAdmin
        self.groups = groups
        self.createdAt = createdAt
    }
}

/// What is needed to create an account; validated by `AccountValidation` before it reaches the store.
public struct NewAccount: Sendable, Equatable {
    public var username: String
    public var displayName: String
    public var email: String
    public var password: String
    public var isAdmin: Bool
    public var groups: [String]

    public init(
        username: String, displayName: String = "", email: String = "", password: String, isAdmin: Bool = false,
        groups: [String] = []
    ) {
        self.username = username
        self.displayName = displayName
        self.email = email
        self.password = password
        self.isAdmin = isAdmin
        self.groups = groups
    }
}

/// A group of accounts; a class is a group.
public struct AccountGroup: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    public var members: [String]

    public init(name: String, description: String = "", members: [String] = []) {
        self.name = name
        self.description = description
        self.members = members
    }
}
