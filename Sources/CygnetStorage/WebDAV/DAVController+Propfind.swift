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
        var live = LiveProperties(instanceID: instanceID, owner: call.user, hrefBase: call.target.hrefBase)
        if case .properties(let names) = query, names.contains(.dav("quota-available-bytes")) {
            live.quotaAvailable = try await quota.status(user: call.user, space: space).available
        }
        var writer = MultistatusWriter(capacity: 512 + resources.count * 700)
        for resource in resources {
            write(resource, query: query, live: live, href: call.target.href(resource.path, isDirectory: resource.entry.isDirectory), to: &writer)
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
        let space = call.user
        let path = call.path
        var wanted: Set<XMLName> = []
        var wantsDead = false
        switch query {
        case .properties(let names):
            wanted = Set(names)
            let live = LiveProperties(instanceID: "", owner: "", hrefBase: "")
            let probe = DAVResource(path: path, entry: listing.entry, summary: listing.summary)
            wantsDead = names.contains { live.value($0, of: probe) == nil && !LiveProperties.indexedNames.contains($0) }
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

    func write(
        _ resource: DAVResource, query: PropfindRequest, live: LiveProperties, href: String,
        to writer: inout MultistatusWriter
    ) {
        var found: [(XMLName, String)] = []
        var missing: [XMLName] = []
        switch query {
        case .properties(let names):
            found.reserveCapacity(names.count)
            for name in names {
                if let value = live.value(name, of: resource) {
                    found.append((name, value))
                } else if let dead = resource.deadProperties.first(where: { $0.name == name }) {
                    found.append((name, dead.valueXML))
                } else {
                    missing.append(name)
                }
            }
        case .allProperties(let include):
            for name in LiveProperties.allPropertyNames(isDirectory: resource.entry.isDirectory) + include {
                if let value = live.value(name, of: resource) { found.append((name, value)) }
            }
            found += resource.deadProperties.map { ($0.name, $0.valueXML) }
        case .propertyNames:
            found = LiveProperties.allPropertyNames(isDirectory: resource.entry.isDirectory).map { ($0, "") }
            found += resource.deadProperties.map { ($0.name, "") }
        }
        writer.response(href: href, found: found, missing: missing)
    }
}
