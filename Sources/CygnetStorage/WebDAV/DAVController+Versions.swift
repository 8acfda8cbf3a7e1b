import Foundation
import Glibc
import Hummingbird
import NIOCore

extension DAVController {
    static let versionsRoot = "/remote.php/dav/versions/"

    /// Keeps what is at `path` as a version before an upload replaces it.
    /// A staged copy of a kept version, hashed on the way; call it on a file thread.
    static func stagedCopy(of source: String, in space: SpaceFileSystem) throws(StorageError) -> (UploadFile, Checksums)
    {
        let upload = try space.beginUpload()
        do throws(StorageError) {
            let hasher = UploadHasher(extra: nil)
            try hasher.append(contentsOf: source, to: upload)
            return (upload, hasher.checksums())
        } catch {
            upload.discard()
            throw error
        }
    }

    func keepVersion(of path: SpacePath, existing: FileEntry?, in location: DAVLocation) async throws {
        guard let versions, let existing, !existing.isDirectory, existing.size > 0 else { return }
        let id = try await index.record(space: location.owner, path: path, entry: existing).id
        let folder = spaces.folderName(for: location.owner)
        let space = location.space
        try await blocking {
            try versions.keep(path, of: space, entry: existing, spaceFolder: folder, fileID: id)
        }
    }

    /// Nextcloud's versions API: `…/versions/<user>/versions/<file id>/` lists a file's earlier contents, GET
    /// downloads one, MOVE to `…/versions/<user>/restore/target` makes it the current content again.
    func handleVersions(
        _ request: Request, rawPath: Substring, identity: StorageIdentity, channel: any Channel
    ) async throws -> Response {
        do {
            let segments = rawPath.dropFirst(Self.versionsRoot.count).split(separator: "/").map(String.init)
            guard segments.count >= 3, segments[0] == identity.name, !identity.isLink, segments[1] == "versions",
                let fileID = Int64(segments[2])
            else { throw StorageError(.notFound, "Versions are at \(Self.versionsRoot)<you>/versions/<file id>/") }
            guard let versions else { throw StorageError(.notFound, "Versions are switched off on this server") }
            let owner = identity.name
            let folder = spaces.folderName(for: owner)
            guard let path = try await index.path(space: owner, id: fileID) else {
                throw StorageError(.notFound, "You have no file with the id \(fileID)")
            }
            let base = Self.versionsRoot + SpacePath.percentEncoded(owner) + "/versions/\(fileID)/"
            switch (segments.count, request.method.rawValue) {
            case (_, "OPTIONS"): return options()
            case (3, "PROPFIND"):
                let list = try await blocking { try versions.versions(spaceFolder: folder, fileID: fileID) }
                var writer = MultistatusWriter()
                writer.response(href: base, found: [(.dav("resourcetype"), "<d:collection/>")], missing: [])
                if try Self.depth(request, whenMissing: 1) != 0 {
                    for version in list {
                        writer.response(
                            href: base + version.name,
                            found: [
                                (.dav("resourcetype"), ""), (.dav("getcontentlength"), String(version.size)),
                                (.dav("getlastmodified"), HTTPDate.format(seconds: version.modified)),
                                (.dav("getetag"), "\"\(fileID)-\(version.name)\""),
                                (.dav("getcontenttype"), ContentTypes.type(of: path.name)),
                            ], missing: [])
                    }
                }
                return Self.multistatus(writer.finish())
            case (4, "GET"):
                let file = try await blocking {
                    try versions.open(spaceFolder: folder, fileID: fileID, version: segments[3])
                }
                let size = try file.status().size
                var headers = HTTPFields()
                headers[.contentType] = ContentTypes.type(of: path.name)
                headers[.contentLength] = String(size)
                let body = fileBody(file, start: 0, length: size, channel: channel, headers: &headers)
                return Response(status: .ok, headers: headers, body: body)
            case (4, "MOVE"):
                return try await restoreVersion(segments[3], of: fileID, at: path, owner: owner, identity: identity)
            default:
                throw StorageError(.notAllowed, "\(request.method.rawValue) is not possible on versions")
            }
        } catch let error as StorageError {
            return Self.errorResponse(error, method: request.method)
        }
    }

    /// The chosen version becomes the file's content (the content it replaces is kept as a version in turn).
    func restoreVersion(
        _ version: String, of fileID: Int64, at path: SpacePath, owner: String, identity: StorageIdentity
    ) async throws -> Response {
        guard let versions else { throw StorageError(.notFound, "Versions are switched off on this server") }
        let folder = spaces.folderName(for: owner)
        let space = try await spaces.space(for: owner)
        let location = DAVLocation(
            space: space, owner: owner, root: .root, path: path, hrefBase: Self.filesRootFor(owner), permissions: .all,
            isShared: false)
        let existing = try await blocking { try space.entry(path) }
        let chosen = try await blocking { () throws -> VersionStore.Version in
            guard
                let found = try versions.versions(spaceFolder: folder, fileID: fileID).first(where: {
                    $0.name == version
                })
            else { throw StorageError(.notFound, "There is no version \(version) of file \(fileID)") }
            return found
        }
        let reservation = try await quota.reserve(
            user: owner, space: space, bytes: chosen.size, replacing: existing?.size ?? 0)
        let source = versions.root + "/" + folder + "/" + String(fileID) + "/" + version
        do {
            _ = try await putInPlace(
                at: path, in: location, replacing: existing, modified: chosen.modified * 1_000_000_000,
                reservation: reservation
            ) { () throws -> (UploadFile, Checksums) in
                try Self.stagedCopy(of: source, in: space)
            }
            return Self.empty(.created)
        } catch {
            await quota.release(reservation)
            throw error
        }
    }
}
