import Foundation

/// Where a DAV request points, as the URL says it: which tree (a user's files, the shares they received, a public
/// link), the path below that tree's root, and the URL prefix the client used, so hrefs echo what it asked for.
struct DAVTarget: Equatable {
    enum Tree: Equatable {
        /// A user's own files; nil on `/remote.php/webdav/`, which always means the signed-in user.
        case files(owner: String?)
        /// What was shared with the user: the first path segment names the share.
        case shares(recipient: String)
        /// A public link; the token is in the URL, or (on `/public.php/webdav/`) the Basic user name.
        case publicLink(token: String?)
    }

    var tree: Tree
    var path: SpacePath
    /// The root as the client wrote it, ending with `/` (e.g. `/remote.php/dav/files/alice/`).
    var hrefBase: String

    static let legacyRoot = "/remote.php/webdav"
    static let filesRoot = "/remote.php/dav/files/"
    static let sharesRoot = "/remote.php/dav/shares/"
    static let publicLegacyRoot = "/public.php/webdav"
    static let publicRoot = "/public.php/dav/files/"

    init(tree: Tree, path: SpacePath, hrefBase: String) {
        self.tree = tree
        self.path = path
        self.hrefBase = hrefBase
    }

    /// Parses a raw (still percent-encoded) request path; nil when it is not under a DAV root.
    init?(rawPath: Substring) throws(StorageError) {
        for legacy in [Self.legacyRoot, Self.publicLegacyRoot]
        where rawPath == legacy || rawPath.hasPrefix(legacy + "/") {
            tree = legacy == Self.legacyRoot ? .files(owner: nil) : .publicLink(token: nil)
            hrefBase = legacy + "/"
            path = try SpacePath(encoded: rawPath.dropFirst(legacy.count))
            return
        }
        for root in [Self.filesRoot, Self.sharesRoot, Self.publicRoot] where rawPath.hasPrefix(root) {
            let rest = rawPath.dropFirst(root.count)
            let namePart = rest.prefix { $0 != "/" }
            guard let name = SpacePath.percentDecoded(namePart), !name.isEmpty else {
                throw StorageError(.notFound, "The address names no user or link; use \(root)<name>/")
            }
            switch root {
            case Self.filesRoot: tree = .files(owner: name)
            case Self.sharesRoot: tree = .shares(recipient: name)
            default: tree = .publicLink(token: name)
            }
            hrefBase = root + namePart + "/"
            path = try SpacePath(encoded: rest.dropFirst(namePart.count))
            return
        }
        return nil
    }

    /// The target of a `Destination` header: a full URL or an absolute path on this server.
    static func destination(_ header: String) throws(StorageError) -> DAVTarget {
        var path = Substring(header)
        if let scheme = path.range(of: "://") {
            let afterScheme = path[scheme.upperBound...]
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        guard let target = try DAVTarget(rawPath: path) else {
            throw StorageError(.badGateway, "The Destination must be a place on this server: \(header)")
        }
        return target
    }
}
