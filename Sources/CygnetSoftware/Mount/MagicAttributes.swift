import Foundation

/// The `user.*` attributes a CernVM-FS mount answers about itself and its files, under the names the reference
/// client uses, so `attr -g revision /cvmfs/<repository>` and the habits built on it work here too. They are not
/// listed by `listxattr`: a file's listed attributes stay exactly those it was published with, and an attribute
/// published under one of these names wins over the mount's own.
enum MagicAttribute: String {
    /// The repository's name.
    case fqrn
    /// The mounted revision number.
    case revision
    /// The root catalog's hash.
    case rootHash = "root_hash"
    /// A regular file's content hash, as in its catalog.
    case hash
    /// How many chunks a regular file is stored in (1 when it is not chunked).
    case chunks
    /// How a regular file is stored: `zlib` or `none`.
    case compression
    /// A symbolic link's target before variant expansion. Linux allows `user.*` attributes on files and folders
    /// only, so this one is `trusted.rawlink` (what `attr -R -g rawlink` asks for), which only root can read.
    case rawlink
    /// The server the mount fetches from now, and all of them in order.
    case host
    case hostList = "host_list"
    /// The HTTP proxy in use, or `DIRECT`.
    case proxy
    /// The mount process, how long it has run (minutes), and how many nested catalogs it has loaded.
    case pid
    case uptime
    case nclg

    init?(attributeName: [UInt8]) {
        let name = String(decoding: attributeName, as: UTF8.self)
        if name == "trusted.rawlink" {
            self = .rawlink
        } else if name.hasPrefix("user."), let attribute = Self(rawValue: String(name.dropFirst(5))),
            attribute != .rawlink
        {
            self = attribute
        } else {
            return nil
        }
    }
}

extension RepositoryFileSystem {
    /// The value of a magic attribute for one entry; nil where it does not apply (a file's hash on a folder).
    func value(
        of attribute: MagicAttribute, entry: CatalogEntry, path: [UInt8], revision: RepositoryRevision
    ) throws -> String? {
        let isRegularFile = !entry.isDirectory && !entry.isSymlink && (entry.hash != nil || entry.isChunked)
        switch attribute {
        case .fqrn: return client.name.description
        case .revision: return String(revision.manifest.revision)
        case .rootHash: return revision.manifest.rootCatalog.description
        case .hash: return isRegularFile ? entry.hash?.description : nil
        case .chunks:
            guard isRegularFile else { return nil }
            return entry.isChunked ? String(try revision.chunks(path, algorithm: entry.flags.algorithm).count) : "1"
        case .compression: return isRegularFile ? (entry.flags.isCompressed ? "zlib" : "none") : nil
        case .rawlink: return entry.isSymlink ? String(decoding: entry.symlink, as: UTF8.self) : nil
        case .host: return client.servers.current.server
        case .hostList: return client.servers.health.map(\.route.server).uniqued().joined(separator: ";")
        case .proxy: return client.servers.current.proxy ?? "DIRECT"
        case .pid: return String(getpid())
        case .uptime: return String(Int(Date().timeIntervalSince(startedAt) / 60))
        case .nclg: return String(revision.loadedNestedCatalogs)
        }
    }
}

extension Sequence where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
