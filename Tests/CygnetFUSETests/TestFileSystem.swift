import CygnetFUSE
import Foundation
import Synchronization

/// An in-memory tree served through ``FUSEMount`` in tests. Regular files are backed by real files in a
/// scratch directory (the wrapper reads from descriptors); the tree can change while mounted, to test
/// invalidation, and it counts lookups and open descriptors, to test kernel caching and release.
final class TestFileSystem: ReadOnlyFileSystem {
    enum Content: Sendable {
        case directory
        case file(backingPath: String)
        case link(target: [UInt8])
    }

    struct Node: Sendable {
        var attributes: FUSEAttributes
        var content: Content
        var extendedAttributes: [[UInt8]: [UInt8]] = [:]
    }

    /// A directory's entries: by name for lookups, in insertion order for listings.
    struct Directory: Sendable {
        var parent: UInt64
        var children: [[UInt8]: UInt64] = [:]
        var order: [[UInt8]] = []
    }

    struct State: Sendable {
        var nodes: [UInt64: Node] = [:]
        var directories: [UInt64: Directory] = [:]
        var lookups: [String: Int] = [:]
        var openDescriptors = 0
        var listings = 0
    }

    static let timeout = 3600.0
    let state = Mutex(State())

    init() {
        let root = FUSEAttributes(inode: 1, mode: S_IFDIR | 0o755, linkCount: 2)
        state.withLock { state in
            state.nodes[1] = Node(attributes: root, content: .directory)
            state.directories[1] = Directory(parent: 1)
        }
    }

    // MARK: ReadOnlyFileSystem

    func lookup(parent: UInt64, name: [UInt8]) throws(FUSEError) -> FUSEEntry {
        let attributes = state.withLock { state -> FUSEAttributes? in
            state.lookups[String(decoding: name, as: UTF8.self), default: 0] += 1
            guard let inode = state.directories[parent]?.children[name] else { return nil }
            return state.nodes[inode]?.attributes
        }
        guard let attributes else { throw .noSuchFileOrDirectory }
        return Self.entry(attributes)
    }

    func attributes(of inode: UInt64) throws(FUSEError) -> FUSEAttributeReply {
        FUSEAttributeReply(try node(inode).attributes, timeout: Self.timeout)
    }

    func readLink(_ inode: UInt64) throws(FUSEError) -> [UInt8] {
        guard case .link(let target) = try node(inode).content else { throw .invalidArgument }
        return target
    }

    func listDirectory(_ inode: UInt64) throws(FUSEError) -> [FUSEDirectoryEntry] {
        try state.withLock { state throws(FUSEError) in
            state.listings += 1
            guard let directory = state.directories[inode] else { throw .notDirectory }
            let nodes = state.nodes
            let entry = { (inode: UInt64) in Self.entry(nodes[inode]!.attributes) }
            let dots = [
                FUSEDirectoryEntry(name: Array(".".utf8), entry: entry(inode)),
                FUSEDirectoryEntry(name: Array("..".utf8), entry: entry(directory.parent)),
            ]
            return dots + directory.order.map { FUSEDirectoryEntry(name: $0, entry: entry(directory.children[$0]!)) }
        }
    }

    func open(_ inode: UInt64) throws(FUSEError) -> FUSEOpenFile {
        guard case .file(let backingPath) = try node(inode).content else { throw .isDirectory }
        let descriptor = Foundation.open(backingPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FUSEError(errno: errno) }
        state.withLock { $0.openDescriptors += 1 }
        return FUSEOpenFile(descriptor: descriptor)
    }

    func release(_ inode: UInt64, file: FUSEOpenFile) {
        close(file.descriptor)
        state.withLock { $0.openDescriptors -= 1 }
    }

    func extendedAttribute(_ inode: UInt64, name: [UInt8]) throws(FUSEError) -> [UInt8] {
        guard let value = try node(inode).extendedAttributes[name] else { throw .noData }
        return value
    }

    func extendedAttributeNames(_ inode: UInt64) throws(FUSEError) -> [[UInt8]] {
        try node(inode).extendedAttributes.keys.sorted { $0.lexicographicallyPrecedes($1) }
    }

    // MARK: Building and inspecting

    private func node(_ inode: UInt64) throws(FUSEError) -> Node {
        guard let node = state.withLock({ $0.nodes[inode] }) else { throw .noSuchFileOrDirectory }
        return node
    }

    private static func entry(_ attributes: FUSEAttributes) -> FUSEEntry {
        FUSEEntry(attributes: attributes, entryTimeout: timeout, attributeTimeout: timeout)
    }

    /// Adds `name` under `parent` and returns its inode; `attributes.inode` is replaced by a fresh number.
    @discardableResult
    func add(_ name: String, in parent: UInt64, attributes: FUSEAttributes, content: Content) -> UInt64 {
        state.withLock { state in
            let inode = UInt64(state.nodes.count + 1)
            var attributes = attributes
            attributes.inode = inode
            state.nodes[inode] = Node(attributes: attributes, content: content)
            if case .directory = content { state.directories[inode] = Directory(parent: parent) }
            // In place: copying a 10,000-entry directory per addition would make building it quadratic.
            state.directories[parent]!.children[Array(name.utf8)] = inode
            state.directories[parent]!.order.append(Array(name.utf8))
            return inode
        }
    }

    func update(_ inode: UInt64, _ change: (inout Node) -> Void) {
        state.withLock { change(&$0.nodes[inode]!) }
    }

    func lookups(of name: String) -> Int {
        state.withLock { $0.lookups[name, default: 0] }
    }

    var listings: Int {
        state.withLock { $0.listings }
    }

    var openDescriptors: Int {
        state.withLock { $0.openDescriptors }
    }
}
