import CLinux
import Glibc
import Hummingbird

extension DAVController {
    /// What a PROPFIND reads from disk in one go (off the event loop).
    struct Listing: Sendable {
        var entry: FileEntry
        var summary: TreeSummary?
        var children: [FileEntry] = []
        var childSummaries: [String: TreeSummary] = [:]
    }

    func propfind(_ call: Call) async throws -> Response {
        guard let depth = try Self.depth(call.request, whenMissing: 1) else {
            throw StorageError(
                .forbidden, "Depth: infinity is not supported; list one level at a time",
                precondition: "propfind-finite-depth")
        }
        let query = try PropfindRequest(body: try await smallBody(call, limit: limits.xmlBody))
        let space = call.space
        let path = call.path
        let listing = try await blocking { try Self.readListing(space, path: path, depth: depth) }
        let resources = try await resources(for: listing, call: call, query: query)
        var live = LiveProperties(
            instanceID: instanceID, owner: call.owner, hrefBase: call.location.hrefBase, location: call.location)
        if case .properties(let names) = query, names.contains(.dav("quota-available-bytes")) {
            live.quotaAvailable = try await quota.status(user: call.owner, space: space).available
        }
        var writer = MultistatusWriter(capacity: 512 + resources.count * 640)
        let tags: [PropertyTag] =
            switch query {
            case .properties(let names): names.map(PropertyTag.init)
            case .allProperties(let include):
                (LiveProperties.allPropertyNames(isDirectory: false) + include).map(PropertyTag.init)
            case .propertyNames: []
            }
        for resource in resources {
            writer.beginResponse(
                hrefBase: call.location.hrefBase, path: call.location.visible(resource.path),
                isDirectory: resource.entry.isDirectory)
            write(resource, query: query, tags: tags, live: live, to: &writer)
            writer.endResponse()
        }
        return Self.multistatus(writer.finish())
    }

    static func readListing(_ space: SpaceFileSystem, path: SpacePath, depth: Int) throws(StorageError) -> Listing {
        guard let entry = try space.entry(path) else {
            throw StorageError(.notFound, "\(path.isRoot ? "/" : path.description) does not exist")
        }
        guard entry.isDirectory else { return Listing(entry: entry) }
        let folder = try space.open(path, flags: O_RDONLY | O_DIRECTORY, action: "listing \(path)")
        guard depth == 1 else { return Listing(entry: entry, summary: try SpaceFileSystem.summary(of: folder)) }
        var listing = Listing(entry: entry)
        var summary = TreeSummary(folder: try folder.status())
        listing.children = try SpaceFileSystem.list(folder)
        for child in listing.children {
            if child.isDirectory {
                let fd = openat(folder.raw, child.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { continue }
                let childSummary = try SpaceFileSystem.summary(of: FileDescriptor(fd))
                listing.childSummaries[child.name] = childSummary
                summary.add(child: childSummary)
            } else {
                summary.add(file: child)
            }
        }
        listing.summary = summary
        return listing
    }

    /// Joins what the disk said with the index, dead properties and locks, each fetched once for the whole listing.
    func resources(for listing: Listing, call: Call, query: PropfindRequest) async throws -> [DAVResource] {
        let space = call.owner
        let path = call.path
        var wanted: Set<XMLName> = []
        var wantsDead = false
        switch query {
        case .properties(let names):
            wanted = Set(names)
            wantsDead = names.contains { !LiveProperties.knownNames.contains($0) }
        case .allProperties, .propertyNames:
            wantsDead = true
        }
        let needsIndex = !wanted.isDisjoint(with: LiveProperties.indexedNames)
        let needsLocks = wanted.isEmpty || wanted.contains(.dav("lockdiscovery"))
        var own = DAVResource(path: path, entry: listing.entry, summary: listing.summary)
        if needsIndex { own.record = try await index.record(space: space, path: path, entry: listing.entry) }
        if wantsDead { own.deadProperties = try await properties.properties(space: space, path: path) }
        let spaceLocks = needsLocks ? await locks.within(space: space, path: .root) : []
        own.locks = spaceLocks.filter { $0.covers(path) }
        guard !listing.children.isEmpty else { return [own] }
        let records = needsIndex ? try await index.records(space: space, folder: path, entries: listing.children) : [:]
        let dead = wantsDead ? try await properties.childProperties(space: space, folder: path) : [:]
        var resources = [own]
        resources.reserveCapacity(listing.children.count + 1)
        for child in listing.children {
            let childPath = path.appending(child.name)
            var resource = DAVResource(
                path: childPath, entry: child, summary: listing.childSummaries[child.name], record: records[child.name],
                deadProperties: dead[child.name] ?? [])
            if !spaceLocks.isEmpty { resource.locks = spaceLocks.filter { $0.covers(childPath) } }
            resources.append(resource)
        }
        return resources
    }

    /// One resource's properties: those found in a 200 propstat, then the missing ones in a 404 propstat.
    func write(
        _ resource: DAVResource, query: PropfindRequest, tags: [PropertyTag], live: LiveProperties,
        to writer: inout MultistatusWriter
    ) {
        let start = writer.mark
        writer.beginPropstat()
        var found = 0
        var missing: [PropertyTag] = []
        switch query {
        case .properties:
            for tag in tags {
                if writer.property(tag, value: { live.write(tag.name, of: resource, to: &$0) }) {
                    found += 1
                } else if let dead = resource.deadProperties.first(where: { $0.name == tag.name }) {
                    _ = writer.property(tag) { buffer in
                        buffer.writeString(dead.valueXML)
                        return true
                    }
                    found += 1
                } else {
                    missing.append(tag)
                }
            }
        case .allProperties:
            for tag in tags where writer.property(tag, value: { live.write(tag.name, of: resource, to: &$0) }) {
                found += 1
            }
            for dead in resource.deadProperties {
                _ = writer.property(PropertyTag(dead.name)) { buffer in
                    buffer.writeString(dead.valueXML)
                    return true
                }
                found += 1
            }
        case .propertyNames:
            for name in LiveProperties.allPropertyNames(isDirectory: resource.entry.isDirectory) {
                writer.emptyProperty(PropertyTag(name))
                found += 1
            }
            for dead in resource.deadProperties {
                writer.emptyProperty(PropertyTag(dead.name))
                found += 1
            }
        }
        if found > 0 {
            writer.endPropstat(status: "200 OK")
        } else {
            writer.rollBack(to: start)
        }
        if !missing.isEmpty {
            writer.beginPropstat()
            for tag in missing { writer.emptyProperty(tag) }
            writer.endPropstat(status: "404 Not Found")
        }
    }
}
