import Foundation
import Hummingbird

extension DAVController {
    /// `/remote.php/dav/shares/<user>/`: every folder shared with the user, as folders of one listing.
    func sharesRoot(_ request: Request, target: DAVTarget, identity: StorageIdentity) async throws -> Response {
        guard case .shares(let recipient) = target.tree, recipient == identity.name, !identity.isLink else {
            throw StorageError(.forbidden, "These are someone else's shares")
        }
        switch request.method.rawValue {
        case "OPTIONS": return options()
        case "PROPFIND": break
        default: throw StorageError(.forbidden, "Shares are added by their owners; this folder cannot be changed")
        }
        let depth = try Self.depth(request, whenMissing: 1)
        var writer = MultistatusWriter()
        writer.response(
            href: target.hrefBase,
            found: [(.dav("resourcetype"), "<d:collection/>"), (.owncloud("permissions"), "G")], missing: [])
        if depth != 0 {
            for (name, share) in try await receivedShares(for: identity) {
                let space = try await spaces.space(for: share.owner)
                let path = share.path
                guard let entry = try await blocking({ try space.entry(path) }), entry.isDirectory else { continue }
                let summary = try await blocking { try space.summary(of: path) }
                let resource = DAVResource(path: path, entry: entry, summary: summary)
                writer.response(
                    href: target.hrefBase + SpacePath.percentEncoded(name) + "/",
                    found: [
                        (.dav("resourcetype"), "<d:collection/>"), (.dav("getetag"), resource.etag),
                        (.dav("getlastmodified"), HTTPDate.format(seconds: entry.modifiedSeconds)),
                        (.owncloud("size"), String(summary.totalSize)),
                        (.owncloud("permissions"), share.permissions.letters(isDirectory: true, isShared: true)),
                        (.owncloud("owner-id"), XMLEscaping.text(share.owner)),
                    ], missing: [])
            }
        }
        return Self.multistatus(writer.finish())
    }

    /// COPY from one person's files into another's: cloning a shared project into one's own space. The copy is
    /// new (new ids, the destination's owner) and the original is only read.
    func copyAcross(_ call: Call, to target: DAVLocation) async throws -> Response {
        let source = call.path
        let destination = target.path
        guard !destination.isRoot else { throw StorageError(.forbidden, "Nothing can replace the root of a space") }
        let overwrite = try Self.overwrite(call.request)
        let depth = try Self.depth(call.request, whenMissing: nil)
        let (from, to) = (call.space, target.space)
        guard let sourceEntry = try await blocking({ try from.entry(source) }) else {
            throw StorageError(.notFound, "\(call.location.visible(source)) does not exist")
        }
        _ = try await blocking { try to.parentFolder(of: destination) }
        let existing = try await blocking { try to.entry(destination) }
        if existing != nil && !overwrite {
            throw StorageError(.preconditionFailed, "\(target.visible(destination)) exists and Overwrite is F")
        }
        try target.require(existing == nil ? .create : [.update, .delete], "add files")
        let targetCall = Call(request: call.request, identity: call.identity, location: target)
        try await checkLocks(targetCall, paths: [destination], membership: true)
        let size = try await blocking {
            sourceEntry.isDirectory ? try from.summary(of: source).totalSize : sourceEntry.size
        }
        let reservation = try await quota.reserve(user: target.owner, space: to, bytes: size)
        do {
            try await blocking { () throws in
                if existing != nil { try to.remove(destination) }
                try from.copy(source, to: destination, in: to, recursive: depth == nil)
            }
        } catch {
            await quota.release(reservation)
            throw error
        }
        await quota.release(reservation)
        await quota.invalidate(user: target.owner)
        try await index.removed(space: target.owner, path: destination)
        var headers = HTTPFields()
        if let entry = try await blocking({ try to.entry(destination) }) {
            let id = try await index.record(space: target.owner, path: destination, entry: entry).id
            headers = uploadHeaders(entry: entry, id: id, modifiedAccepted: false)
            if entry.isDirectory { headers[.eTag] = nil }
        }
        return Self.empty(existing == nil ? .created : .noContent, headers: headers)
    }
}
