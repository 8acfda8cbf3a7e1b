import CygnetRuntime
import Foundation

/// What a garbage collection removed.
public struct GarbageReport: Sendable {
    public var revisionsKept: Int
    public var objectsKept: Int
    public var objectsRemoved: Int
    public var bytesRemoved: Int64
}

extension Publisher {
    /// Deletes every object that neither the current revision nor a named tag (or `trunk-previous`) needs, and
    /// forgets the automatic tags of the revisions it drops.
    public func collectGarbage() throws -> GarbageReport {
        let lock = try acquireLock()
        defer { withExtendedLifetime(lock) {} }
        let manifest = try requireManifest()
        let keys = try prepare()
        let history = try HistoryFile.open(publisher: self, manifest: manifest)
        var roots: Set<ContentHash> = [manifest.rootCatalog]
        for tag in try history.tags() {
            if tag.name.hasPrefix("generic-") && tag.rootCatalog != manifest.rootCatalog {
                try history.database.removeTag(named: tag.name)
            } else {
                roots.insert(tag.rootCatalog)
            }
        }
        let historyHash = try history.store()
        var updated = manifest
        updated.history = historyHash
        updated.publishedAt = max(manifest.publishedAt, Int(clock().timeIntervalSince1970))
        var keep: Set<String> = [
            historyHash.objectPath(.history), manifest.certificate.objectPath(.certificate),
        ]
        if let metaInfo = manifest.metaInfo { keep.insert(metaInfo.objectPath(.metaInfo)) }
        for root in roots { try markReachable(catalog: root, into: &keep) }
        try storage.writeManifest(keys.sign(updated))
        var report = GarbageReport(revisionsKept: roots.count, objectsKept: 0, objectsRemoved: 0, bytesRemoved: 0)
        try sweep(keeping: keep, report: &report)
        return report
    }

    private func markReachable(catalog hash: ContentHash, into keep: inout Set<String>) throws {
        guard keep.insert(hash.objectPath(.catalog)).inserted else { return }
        let file = workDirectory.appending(path: "gc-\(hash).sqlite").path
        defer { unlink(file) }
        try AtomicFile.write(Zlib.decompress(storage.load(hash, .catalog)), to: URL(filePath: file), mode: 0o600)
        let reader = try CatalogReader(path: file)
        for object in try reader.referencedObjects() {
            keep.insert(object.objectPath(.file))
            keep.insert(object.objectPath(.chunk))
        }
        for nested in try reader.nestedCatalogs() { try markReachable(catalog: nested.hash, into: &keep) }
    }

    private func sweep(keeping keep: Set<String>, report: inout GarbageReport) throws {
        for byte in 0..<256 {
            let prefix = "data/" + [UInt8(byte)].hexadecimal
            let directory = storage.root.appending(path: prefix).path
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names {
                let relative = prefix + "/" + name
                if keep.contains(relative) {
                    report.objectsKept += 1
                    continue
                }
                var status = stat()
                if lstat(directory + "/" + name, &status) == 0 { report.bytesRemoved += Int64(status.st_size) }
                if unlink(directory + "/" + name) == 0 { report.objectsRemoved += 1 }
            }
        }
    }
}
