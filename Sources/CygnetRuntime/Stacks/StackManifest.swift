public import Foundation

/// `.cygnet-stack.json` at the top of a stack: the contract between cygnet-software, which builds and publishes
/// stacks, and the hub, which offers the ones it finds under the mount root and starts sessions from them.
public struct StackManifest: Codable, Sendable, Equatable {
    public static let fileName = ".cygnet-stack.json"

    public var name: String
    public var description: String
    /// The stack's path as sessions see it, e.g. /cvmfs/software.cygnet.local/stacks/default.
    public var prefix: String
    public var python: String
    /// Jupyter kernel names under `share/jupyter/kernels`.
    public var kernels: [String]
    public var requirements: [String]
    public var builtAt: Date

    /// Every stack below `roots` (`<root>/<repository>/stacks/<name>/.cygnet-stack.json`), sorted by name.
    public static func discover(in roots: [String]) -> [StackManifest] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var found: [StackManifest] = []
        for root in roots {
            let repositories = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for repository in repositories.sorted() {
                let stacks = "\(root)/\(repository)/stacks"
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: stacks)) ?? []).sorted() {
                    let file = URL(filePath: "\(stacks)/\(name)/\(fileName)")
                    guard let data = try? Data(contentsOf: file),
                        let manifest = try? decoder.decode(StackManifest.self, from: data)
                    else { continue }
                    found.append(manifest)
                }
            }
        }
        return found
    }

    public init(
        name: String, description: String, prefix: String, python: String, kernels: [String], requirements: [String],
        builtAt: Date
    ) {
        self.name = name
        self.description = description
        self.prefix = prefix
        self.python = python
        self.kernels = kernels
        self.requirements = requirements
        self.builtAt = builtAt
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self))
    }
}
