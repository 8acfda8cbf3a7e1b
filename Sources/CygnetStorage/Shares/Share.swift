/// What a share lets its recipients do, as the OCS Share API numbers it.
public struct SharePermissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let read = SharePermissions(rawValue: 1)
    public static let update = SharePermissions(rawValue: 2)
    public static let create = SharePermissions(rawValue: 4)
    public static let delete = SharePermissions(rawValue: 8)
    public static let share = SharePermissions(rawValue: 16)

    public static let all: SharePermissions = [.read, .update, .create, .delete, .share]
    /// A file cannot receive new members: create and delete make no sense on it.
    public static let allForFiles: SharePermissions = [.read, .update, .share]

    public var canWrite: Bool { !isDisjoint(with: [.update, .create, .delete]) }

    /// `oc:permissions` letters for a resource seen through this share (S: shared with me).
    func letters(isDirectory: Bool, isShared: Bool) -> String {
        var text = isShared ? "S" : ""
        if contains(.share) { text += "R" }
        text += "G"
        if contains(.delete) { text += "D" }
        if contains(.delete) && contains(.create) { text += "NV" }
        if isDirectory {
            if contains(.create) { text += "CK" }
        } else if contains(.update) {
            text += "W"
        }
        return text
    }
}

/// A folder or file of one user made available to another user, a group, or anyone with a link.
public struct Share: Sendable, Equatable {
    public enum Kind: Int, Sendable {
        case user = 0
        case group = 1
        case publicLink = 3
    }

    public var id: String
    public var owner: String
    /// The shared item in the owner's space.
    public var path: SpacePath
    public var isDirectory: Bool
    public var kind: Kind
    /// The user or group; nil for links.
    public var recipient: String?
    public var permissions: SharePermissions
    /// For links: the secret part of `/s/<token>`.
    public var token: String?
    public var passwordHash: String?
    /// Unix time after which the share no longer works (end of the expiry day).
    public var expires: Int64?
    public var label: String
    public var createdAt: Int64

    public func isExpired(now: Int64) -> Bool {
        expires.map { now >= $0 } ?? false
    }

    /// The name a recipient sees it under.
    public var name: String { path.name }
}
