import Foundation

/// Where a DAV request points: which space (by owner), which path in it, and the URL prefix the client used, so
/// hrefs in answers echo the root the client asked for.
struct DAVTarget: Equatable {
    /// The user whose space this is; nil on `/remote.php/webdav/`, which always means the signed-in user.
    var owner: String?
    var path: SpacePath
    /// The DAV root as the client wrote it, ending with `/` (e.g. `/remote.php/dav/files/alice/`).
    var hrefBase: String

    static let legacyRoot = "/remote.php/webdav"
    static let filesRoot = "/remote.php/dav/files/"

    /// Parses a raw (still percent-encoded) request path; nil when it is not under a files root.
    init?(rawPath: Substring) throws(StorageError) {
        if rawPath == Self.legacyRoot || rawPath.hasPrefix(Self.legacyRoot + "/") {
            owner = nil
            hrefBase = Self.legacyRoot + "/"
            path = try SpacePath(encoded: rawPath.dropFirst(Self.legacyRoot.count))
            return
        }
        guard rawPath.hasPrefix(Self.filesRoot) else { return nil }
        let rest = rawPath.dropFirst(Self.filesRoot.count)
        let userPart = rest.prefix { $0 != "/" }
        guard let user = SpacePath.percentDecoded(userPart), !user.isEmpty else {
            throw StorageError(.notFound, "The address names no user; use /remote.php/dav/files/<user>/")
        }
        owner = user
        hrefBase = Self.filesRoot + userPart + "/"
        path = try SpacePath(encoded: rest.dropFirst(userPart.count))
    }

    /// The target of a `Destination` header: a full URL or an absolute path, under the same root and user.
    static func destination(_ header: String, user: String) throws(StorageError) -> DAVTarget {
        var path = Substring(header)
        if let scheme = path.range(of: "://") {
            let afterScheme = path[scheme.upperBound...]
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        guard let target = try DAVTarget(rawPath: path) else {
            throw StorageError(.badGateway, "The Destination must be in your files on this server: \(header)")
        }
        guard target.owner == nil || target.owner == user else {
            throw StorageError(.forbidden, "The Destination is in someone else's files")
        }
        return target
    }

    func href(_ path: SpacePath, isDirectory: Bool) -> String {
        hrefBase + path.encoded(isDirectory: isDirectory)
    }
}
