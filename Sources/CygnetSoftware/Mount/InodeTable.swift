/// Inode numbers for repository paths. Numbers are never reused: a new revision gets new numbers for every path
/// (the root stays 1), so the kernel cannot mix an old file's cached pages with a new file's, and files that
/// are open across a revision switch keep reading the revision they were opened in.
struct InodeTable {
    struct Record {
        var path: [UInt8]
        var revision: RepositoryRevision
    }

    private struct Key: Hashable {
        var generation: UInt64
        var path: [UInt8]
    }

    private var byKey: [Key: UInt64] = [:]
    private var records: [UInt64: Record] = [:]
    private var next: UInt64 = 2
    /// Names the kernel looked up in the root directory since the last switch: what to invalidate at the next.
    private(set) var rootNames: Set<[UInt8]> = []

    init(revision: RepositoryRevision) {
        records[1] = Record(path: [], revision: revision)
    }

    var current: RepositoryRevision { records[1]!.revision }

    func record(_ inode: UInt64) -> Record? { records[inode] }

    mutating func inode(path: [UInt8], revision: RepositoryRevision) -> UInt64 {
        if path.isEmpty && revision === current { return 1 }
        let key = Key(generation: revision.generation, path: path)
        if let inode = byKey[key] { return inode }
        let inode = next
        next += 1
        byKey[key] = inode
        records[inode] = Record(path: path, revision: revision)
        if revision === current, let (parent, name) = RepositoryPath.split(path), parent.isEmpty {
            rootNames.insert(name)
        }
        return inode
    }

    /// A name the root does not have: the kernel caches the miss, so the next switch must invalidate it too.
    /// (Misses deeper down go with their parent directory's dentry.)
    mutating func recordMiss(parent: UInt64, name: [UInt8]) {
        if parent == 1 { rootNames.insert(name) }
    }

    /// Makes `revision` current; returns the root names the kernel may still cache from the previous one.
    mutating func switchTo(_ revision: RepositoryRevision) -> Set<[UInt8]> {
        let names = rootNames
        rootNames = []
        let previous = current
        records[1] = Record(path: [], revision: revision)
        // Numbers handed out for the old revision stay resolvable (open files); only their lookup keys go.
        byKey = byKey.filter { $0.key.generation != previous.generation || records[$0.value] != nil }
        return names
    }
}
