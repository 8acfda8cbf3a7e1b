import CLinux
import Glibc
import Hummingbird
import NIOCore

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
        let needs = PropfindNeeds(query)
        let space = call.space
        let path = call.path
        let owner = call.owner
        // The disk and the database are read at the same time; for a big folder each takes about as long.
        async let reading = blocking { try Self.readListing(space, path: path, depth: depth) }
        async let knownRecords = childRecords(owner: owner, folder: path, depth: depth, needs: needs)
        async let childProperties =
            depth == 1 && needs.deadProperties ? properties.childProperties(space: owner, folder: path) : [:]
        let listing = try await reading
        let resources = try await resources(
            for: listing, call: call, needs: needs, knownRecords: try await knownRecords,
            childProperties: try await childProperties)
        let quotaAvailable: Int64 =
            if case .properties(let names) = query, names.contains(.dav("quota-available-bytes")) {
                try await quota.status(user: owner, space: space).available
            } else {
                -3
            }
        let tags: [PropertyTag] =
            switch query {
            case .properties(let names): names.map(PropertyTag.init)
            case .allProperties(let include):
                (LiveProperties.allPropertyNames(isDirectory: false) + include).map(PropertyTag.init)
            case .propertyNames: []
            }
        let location = call.location
        let instanceID = instanceID
        // A big listing is written in as many parts as there are cores, each into its own buffer, on the global
        // executor: the server's own threads run what one of them enqueues one after another.
        let parts = resources.count < 2_000 ? 1 : min(4, max(1, System.coreCount))
        let size = (resources.count + parts - 1) / parts
        let buffers = try await withThrowingTaskGroup(of: (Int, ByteBuffer).self) { group in
            for part in 0..<parts {
                group.addTask(executorPreference: parts > 1 ? globalConcurrentExecutor : nil) {
                    var live = LiveProperties(
                        instanceID: instanceID, owner: owner, hrefBase: location.hrefBase, location: location)
                    live.quotaAvailable = quotaAvailable
                    let slice = resources[min(resources.count, part * size)..<min(resources.count, (part + 1) * size)]
                    var writer = MultistatusWriter(fragmentCapacity: slice.count * 640)
                    for resource in slice {
                        writer.beginResponse(
                            hrefBase: location.hrefBase, path: location.visible(resource.path),
                            isDirectory: resource.entry.isDirectory)
                        Self.write(resource, query: query, tags: tags, live: live, to: &writer)
                        writer.endResponse()
                    }
                    return (part, writer.buffer)
                }
            }
            var buffers = [ByteBuffer](repeating: ByteBuffer(), count: parts)
            for try await (part, buffer) in group { buffers[part] = buffer }
            return buffers
        }
        return Self.multistatus(parts: buffers)
    }

    /// The index's records of a folder's children; with checksums asked for, after any big upload there has been
    /// hashed (`DeferredChecksums`), so rclone finds every MD5.
    func childRecords(owner: String, folder: SpacePath, depth: Int, needs: PropfindNeeds) async throws
        -> [String: FileRecord]
    {
        if needs.checksums { await checksums.settle(owner: owner, around: folder) }
        guard depth == 1 && needs.index else { return [:] }
        return try await index.children(space: owner, folder: folder)
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

    /// Joins what the disk said with the index, dead properties and locks, each fetched once for the whole listing
    /// (the children's records and dead properties come in already, read beside the disk).
    func resources(
        for listing: Listing, call: Call, needs: PropfindNeeds, knownRecords: [String: FileRecord],
        childProperties: [String: [DeadProperty]]
    ) async throws -> [DAVResource] {
        let space = call.owner
        let path = call.path
        var own = DAVResource(path: path, entry: listing.entry, summary: listing.summary)
        if needs.index { own.record = try await index.record(space: space, path: path, entry: listing.entry) }
        if needs.deadProperties { own.deadProperties = try await properties.properties(space: space, path: path) }
        let spaceLocks = needs.locks ? await locks.within(space: space, path: .root) : []
        own.locks = spaceLocks.filter { $0.covers(path) }
        guard !listing.children.isEmpty else { return [own] }
        var records = knownRecords
        if needs.index {
            records = try await index.records(
                space: space, folder: path, entries: listing.children, known: knownRecords)
        }
        var resources = [own]
        resources.reserveCapacity(listing.children.count + 1)
        for child in listing.children {
            let childPath = path.appending(child.name)
            var resource = DAVResource(
                path: childPath, entry: child, summary: listing.childSummaries[child.name], record: records[child.name],
                deadProperties: childProperties[child.name] ?? [])
            if !spaceLocks.isEmpty { resource.locks = spaceLocks.filter { $0.covers(childPath) } }
            resources.append(resource)
        }
        return resources
    }

    /// One resource's properties: those found in a 200 propstat, then the missing ones in a 404 propstat.
    static func write(
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
                if let property = tag.live, writer.property(tag, value: { live.write(property, of: resource, to: &$0) })
                {
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
            for tag in tags {
                guard let property = tag.live else { continue }
                if writer.property(tag, value: { live.write(property, of: resource, to: &$0) }) { found += 1 }
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

/// What a PROPFIND needs besides the disk.
struct PropfindNeeds {
    var index = false
    var checksums = false
    var deadProperties = false
    var locks = false

    init(_ query: PropfindRequest) {
        switch query {
        case .properties(let names):
            index = names.contains { LiveProperty($0)?.isIndexed == true }
            checksums = names.contains(LiveProperty.ocChecksums.name)
            deadProperties = names.contains { LiveProperty($0) == nil }
            locks = names.contains(.dav("lockdiscovery"))
        case .allProperties, .propertyNames:
            deadProperties = true
            locks = true
        }
    }
}
