/// What a PROPFIND asks for (RFC 4918 §9.1); an empty body means `allprop`.
enum PropfindRequest: Equatable {
    case allProperties(include: [XMLName])
    case propertyNames
    case properties([XMLName])

    init(body: [UInt8]) throws(StorageError) {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            self = .allProperties(include: [])
            return
        }
        let tree = try XMLTree.parse(body)
        guard tree.name == .dav("propfind") else {
            throw StorageError(.badRequest, "A PROPFIND body must be a DAV:propfind element, not \(tree.name.local)")
        }
        if let prop = tree.child(.dav("prop")) {
            self = .properties(prop.children.map(\.name))
        } else if tree.child(.dav("propname")) != nil {
            self = .propertyNames
        } else if tree.child(.dav("allprop")) != nil {
            self = .allProperties(include: tree.child(.dav("include"))?.children.map(\.name) ?? [])
        } else {
            throw StorageError(.badRequest, "A PROPFIND body must hold prop, propname or allprop")
        }
    }
}

/// The changes of a PROPPATCH, in document order (RFC 4918 §9.2): all are applied or none.
struct ProppatchRequest {
    enum Change {
        case set(DeadProperty)
        case remove(XMLName)

        var name: XMLName {
            switch self {
            case .set(let property): property.name
            case .remove(let name): name
            }
        }
    }

    var changes: [Change] = []

    init(body: [UInt8]) throws(StorageError) {
        let tree = try XMLTree.parse(body)
        guard tree.name == .dav("propertyupdate") else {
            throw StorageError(.badRequest, "A PROPPATCH body must be a DAV:propertyupdate element")
        }
        for instruction in tree.children {
            let properties = instruction.child(.dav("prop"))?.children ?? []
            switch instruction.name {
            case .dav("set"):
                changes += properties.map { .set(DeadProperty(name: $0.name, valueXML: $0.innerXML)) }
            case .dav("remove"):
                changes += properties.map { .remove($0.name) }
            default:
                continue
            }
        }
        guard !changes.isEmpty else { throw StorageError(.badRequest, "The PROPPATCH body changes no property") }
    }
}

/// A LOCK body (RFC 4918 §9.10): scope and owner. An empty body refreshes an existing lock.
struct LockRequest: Equatable {
    var exclusive: Bool
    /// The owner element's content as XML, returned in lock discovery.
    var ownerXML: String

    init?(body: [UInt8]) throws(StorageError) {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return nil }
        let tree = try XMLTree.parse(body)
        guard tree.name == .dav("lockinfo") else {
            throw StorageError(.badRequest, "A LOCK body must be a DAV:lockinfo element")
        }
        guard let scope = tree.child(.dav("lockscope"))?.children.first?.name,
            scope == .dav("exclusive") || scope == .dav("shared")
        else { throw StorageError(.badRequest, "A LOCK body must say exclusive or shared in lockscope") }
        guard tree.child(.dav("locktype"))?.child(.dav("write")) != nil else {
            throw StorageError(.badRequest, "Only write locks exist (locktype must be write)")
        }
        exclusive = scope == .dav("exclusive")
        ownerXML = tree.child(.dav("owner"))?.innerXML ?? ""
    }
}
