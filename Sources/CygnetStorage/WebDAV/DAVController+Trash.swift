import Foundation
import Glibc
import Hummingbird
import NIOCore

extension DAVController {
    static let trashRoot = "/remote.php/dav/trashbin/"

    /// Nextcloud's trash: `…/trashbin/<user>/trash/` lists what was deleted; MOVE an item to
    /// `…/trashbin/<user>/restore/<name>` puts it back; DELETE removes it (or everything) for good.
    func handleTrash(_ request: Request, rawPath: Substring, identity: StorageIdentity) async throws -> Response {
        do {
            let segments = try Self.segments(of: rawPath, below: Self.trashRoot)
            guard segments.count >= 2, segments[0] == identity.name, !identity.isLink, segments[1] == "trash" else {
                throw StorageError(.notFound, "Your trash is at \(Self.trashRoot)\(identity.name)/trash/")
            }
            guard let trash else { throw StorageError(.notFound, "The trash is switched off on this server") }
            let owner = identity.name
            let space = try await spaces.space(for: owner)
            let folder = spaces.folderName(for: owner)
            try await trash.expire(owner: owner, spaceFolder: folder, now: Int64(Date().timeIntervalSince1970))
            let items = try await trash.items(owner: owner)
            let base = Self.trashRoot + SpacePath.percentEncoded(owner) + "/trash/"
            func item() throws -> TrashItem {
                guard let found = items.first(where: { $0.trashName == segments[2] }) else {
                    throw StorageError(.notFound, "\(segments[2]) is not in your trash")
                }
                return found
            }
            switch (segments.count, request.method.rawValue) {
            case (_, "OPTIONS"): return options()
            case (2, "PROPFIND"):
                var writer = MultistatusWriter()
                writer.response(href: base, found: [(.dav("resourcetype"), "<d:collection/>")], missing: [])
                if try Self.depth(request, whenMissing: 1) != 0 {
                    for entry in items { describe(entry, base: base, to: &writer) }
                }
                return Self.multistatus(writer.finish())
            case (3, "PROPFIND"):
                var writer = MultistatusWriter()
                describe(try item(), base: base, to: &writer)
                return Self.multistatus(writer.finish())
            case (3, "MOVE"):
                let restored = try await trash.restore(try item(), into: space, spaceFolder: folder, owner: owner)
                await quota.invalidate(user: owner)
                var headers = HTTPFields()
                headers[.location] = Self.filesRootFor(owner) + restored.encoded(isDirectory: false)
                return Self.empty(.created, headers: headers)
            case (3, "DELETE"):
                try await trash.purge(try item(), spaceFolder: folder, owner: owner)
                return Self.empty(.noContent)
            case (2, "DELETE"):
                for entry in items { try await trash.purge(entry, spaceFolder: folder, owner: owner) }
                return Self.empty(.noContent)
            default:
                throw StorageError(.notAllowed, "\(request.method.rawValue) is not possible in the trash")
            }
        } catch let error as StorageError {
            return Self.errorResponse(error, method: request.method)
        }
    }

    /// The percent-decoded segments of a path below one of the extra DAV roots (uploads, trash).
    static func segments(of rawPath: Substring, below root: String) throws(StorageError) -> [String] {
        var segments: [String] = []
        for raw in rawPath.dropFirst(root.count).split(separator: "/") {
            guard let name = SpacePath.percentDecoded(raw) else {
                throw StorageError(.badRequest, "The path has a malformed percent-encoding: \(raw)")
            }
            segments.append(name)
        }
        return segments
    }

    static func filesRootFor(_ user: String) -> String {
        DAVTarget.filesRoot + SpacePath.percentEncoded(user) + "/"
    }

    private func describe(_ item: TrashItem, base: String, to writer: inout MultistatusWriter) {
        writer.response(
            href: base + SpacePath.percentEncoded(item.trashName) + (item.isDirectory ? "/" : ""),
            found: [
                (.dav("resourcetype"), item.isDirectory ? "<d:collection/>" : ""),
                (.dav("getcontentlength"), String(item.size)), (.owncloud("size"), String(item.size)),
                (.dav("getlastmodified"), HTTPDate.format(seconds: item.deletedAt)),
                (.dav("getetag"), "\"" + item.trashName + "\""),
                (.nextcloud("trashbin-filename"), XMLEscaping.text(item.originalPath.name)),
                (.nextcloud("trashbin-original-location"), XMLEscaping.text(item.originalPath.description)),
                (.nextcloud("trashbin-deletion-time"), String(item.deletedAt)),
            ], missing: [])
    }
}
