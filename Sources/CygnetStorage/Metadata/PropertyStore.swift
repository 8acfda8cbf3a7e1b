public import CygnetRuntime
import SQLKit

/// A property a client set with PROPPATCH: kept as the XML of its value, returned as it was given.
public struct DeadProperty: Sendable, Equatable {
    public var name: XMLName
    /// The value's XML (text and elements, namespaces declared inline), ready to place inside the property element.
    public var valueXML: String
}

/// Dead properties per space and path; they follow their file on MOVE and COPY (see `FileIndex`).
public struct PropertyStore: Sendable {
    let store: SQLStore

    public init(store: SQLStore) {
        self.store = store
    }

    public func properties(space: String, path: SpacePath) async throws -> [DeadProperty] {
        try await store.read { db in
            try await db.raw(
                """
                SELECT namespace, name, value FROM storage_properties
                WHERE space = \(bind: space) AND path = \(bind: path.description) ORDER BY namespace, name
                """
            ).all().map(Self.property(from:))
        }
    }

    /// The dead properties of a folder's children, by child name, in one query.
    public func childProperties(space: String, folder: SpacePath) async throws -> [String: [DeadProperty]] {
        let prefix = folder.isRoot ? "" : folder.description + "/"
        let rows = try await store.read { db in
            try await db.raw(
                """
                SELECT path, namespace, name, value FROM storage_properties WHERE space = \(bind: space)
                  AND path <> '' AND substr(path, 1, length(\(bind: prefix))) = \(bind: prefix)
                """
            ).all()
        }
        var result: [String: [DeadProperty]] = [:]
        for row in rows {
            let name = String(try row.decode(column: "path", as: String.self).dropFirst(prefix.count))
            guard !name.isEmpty, !name.contains("/") else { continue }
            result[name, default: []].append(try Self.property(from: row))
        }
        return result
    }

    /// Sets and removes properties of one path, all or nothing.
    public func apply(space: String, path: SpacePath, set: [DeadProperty], remove: [XMLName]) async throws {
        let key = path.description
        try await store.transaction { db in
            for name in remove {
                try await db.raw(
                    """
                    DELETE FROM storage_properties WHERE space = \(bind: space) AND path = \(bind: key)
                      AND namespace = \(bind: name.namespace) AND name = \(bind: name.local)
                    """
                ).run()
            }
            for property in set {
                try await db.raw(
                    """
                    INSERT INTO storage_properties (space, path, namespace, name, value) VALUES (\(bind: space),
                      \(bind: key), \(bind: property.name.namespace), \(bind: property.name.local),
                      \(bind: property.valueXML))
                    ON CONFLICT (space, path, namespace, name) DO UPDATE SET value = excluded.value
                    """
                ).run()
            }
        }
    }

    static func property(from row: any SQLRow) throws -> DeadProperty {
        DeadProperty(
            name: XMLName(
                namespace: try row.decode(column: "namespace", as: String.self),
                local: try row.decode(column: "name", as: String.self)),
            valueXML: try row.decode(column: "value", as: String.self))
    }
}
