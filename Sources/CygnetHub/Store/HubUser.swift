/// A person the hub knows: mirrored from cygnet-auth at each login.
public struct HubUser: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var groups: [String]
    public var createdAt: Int64
    public var lastActivity: Int64?
    /// The form's choices when "always start with this configuration" was ticked.
    public var savedOptions: SessionOptions?
    /// Something to tell the user on their next visit, e.g. why their session was stopped.
    public var notice: String?

    public init(
        name: String, isAdmin: Bool, groups: [String], createdAt: Int64, lastActivity: Int64? = nil,
        savedOptions: SessionOptions? = nil, notice: String? = nil
    ) {
        self.name = name
        self.isAdmin = isAdmin
        self.groups = groups
        self.createdAt = createdAt
        self.lastActivity = lastActivity
        self.savedOptions = savedOptions
        self.notice = notice
    }

    /// What this user may do with a browser session or a token that inherits their rights.
    public var scopes: Scopes { isAdmin ? .everything : .owner(name) }
}

/// A running (or adopted) session server as stored, so a restarted hub finds it again.
public struct StoredServer: Sendable, Equatable {
    public var userName: String
    public var serverName: String
    public var spawnerState: SpawnerState
    public var options: SessionOptions
    public var startedAt: Int64
    public var lastActivity: Int64
}
