/// A DAV target resolved to disk: whose space it is in, where the visible tree starts inside that space, and what
/// the requester may do there. A user's own files are their whole space with every permission; a share is the
/// owner's folder with the share's permissions.
struct DAVLocation: Sendable {
    var space: SpaceFileSystem
    /// The owner of the space: the key of its file ids, locks, properties and quota.
    var owner: String
    /// The visible tree's root inside the space (a share's folder; the space root for one's own files).
    var root: SpacePath
    /// The path the request names, inside the space.
    var path: SpacePath
    /// The URL prefix of `root`, ending with `/`.
    var hrefBase: String
    var permissions: SharePermissions
    /// Seen through a share (`oc:permissions` starts with S).
    var isShared: Bool

    /// `path` as the client sees it: relative to the visible root.
    func visible(_ path: SpacePath) -> SpacePath {
        SpacePath(checkedSegments: Array(path.segments.dropFirst(root.segments.count)))
    }

    func href(_ path: SpacePath, isDirectory: Bool) -> String {
        hrefBase + visible(path).encoded(isDirectory: isDirectory)
    }

    func require(_ needed: SharePermissions, _ action: String) throws(StorageError) {
        guard permissions.isSuperset(of: needed) else {
            throw StorageError(.forbidden, "This share is read-only here: you may not \(action)")
        }
    }
}
