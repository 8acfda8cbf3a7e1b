import Hummingbird

extension DAVController {
    /// Live properties a client may not set (RFC 4918 §9.2: 403 `cannot-modify-protected-property`).
    static let protectedNamespaces: Set<String> = [XMLNamespaces.dav, XMLNamespaces.owncloud, XMLNamespaces.nextcloud]

    func proppatch(_ call: Call) async throws -> Response {
        let body = try await smallBody(call, limit: limits.xmlBody)
        let space = call.space
        let path = call.path
        guard let entry = try await blocking({ try space.entry(path) }) else {
            throw StorageError(.notFound, "\(path) does not exist")
        }
        try await checkLocks(call, paths: [path], membership: false)
        let update = try ProppatchRequest(body: body)
        let refused = update.changes.filter { change in
            Self.protectedNamespaces.contains(change.name.namespace)
                && !(change.name == .dav("lastmodified") || change.name == .dav("getlastmodified"))
        }
        var writer = MultistatusWriter()
        let href = call.location.href(path, isDirectory: entry.isDirectory)
        if !refused.isEmpty {
            // All or nothing: one protected property fails the whole request, the rest are "failed dependency".
            let failed = update.changes.map { change in
                (change.name, refused.contains { $0.name == change.name } ? "403 Forbidden" : "424 Failed Dependency")
            }
            writer.response(href: href, found: [], missing: [], failed: failed)
            return Self.multistatus(writer.finish())
        }
        var set: [DeadProperty] = []
        var remove: [XMLName] = []
        var modified: Int64?
        for change in update.changes {
            switch change {
            case .set(let property) where property.name.namespace == XMLNamespaces.dav:
                modified = HTTPDate.parse(property.valueXML).map { $0 * 1_000_000_000 }
            case .set(let property):
                set.removeAll { $0.name == property.name }
                remove.removeAll { $0 == property.name }
                set.append(property)
            case .remove(let name):
                set.removeAll { $0.name == name }
                remove.append(name)
            }
        }
        try await properties.apply(space: call.owner, path: path, set: set, remove: remove)
        if let modified { try await blocking { try space.setModified(path, to: modified) } }
        writer.response(href: href, found: update.changes.map { ($0.name, "") }, missing: [])
        return Self.multistatus(writer.finish())
    }
}
