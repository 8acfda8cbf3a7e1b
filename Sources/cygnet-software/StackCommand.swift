import ArgumentParser
import CygnetRuntime
import CygnetSoftware
import Foundation

struct StackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stack", abstract: "Build and list software stacks (Python environments for sessions).",
        subcommands: [StackBuildCommand.self, StackListCommand.self])
}

struct StackBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a stack from a requirements list at its final path under /cvmfs, then publish it.",
        discussion: """
            Without --requirements it builds Cygnet's default stack (JupyterLab, NumPy, SciPy, pandas, Matplotlib, \
            uproot, awkward, hist, ROOT with its C++ kernel). Needs root. Example: \
            cygnet-software stack build software.cygnet.local physics --requirements physics.txt
            """)

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository to publish the stack in.")
    var repository: String = DefaultStack.repository

    @Argument(help: "The stack's name (lowercase letters, digits, '-', '_', '.').")
    var name: String = DefaultStack.name

    @Option(help: "A pip requirements file. Default: the default stack's list.")
    var requirements: String?

    @Option(help: "What the session form shows for this stack.")
    var description: String?

    @Option(help: "The Python the environment is made from.")
    var python: String = "/usr/bin/python3"

    @Option(help: "Where repositories are mounted for sessions.")
    var mountRoot: String = "/cvmfs"

    @Option(help: "Also tag the published revision.")
    var tag: String?

    func run() async throws {
        let publisher = try location.publisher(for: repository)
        let source = location.root.appending(path: "sources/\(repository)")
        let builder = StackBuilder(publisher: publisher, sourceRoot: source, mountRoot: mountRoot)
        let requirementsFile: URL
        if let requirements {
            requirementsFile = URL(filePath: requirements)
        } else {
            requirementsFile = location.root.appending(path: "default-stack.txt")
            try FileManager.default.createDirectory(at: location.root, withIntermediateDirectories: true)
            try DefaultStack.requirements.write(to: requirementsFile, atomically: true, encoding: .utf8)
        }
        let manifest = try builder.build(
            .init(
                name: name,
                description: description ?? (name == DefaultStack.name ? DefaultStack.description : name),
                requirements: requirementsFile, python: python, pipCache: location.root.appending(path: "pip-cache")
            )
        ) { line in print("  \(line)") }
        print(
            "built \(manifest.name) (Python \(manifest.python), kernels: \(manifest.kernels.joined(separator: ", ")))")
        let report = try await publisher.publish(PublishOptions(source: source, tag: tag)) { progress in
            if case .hashed(let files, let total, _) = progress { print("  publishing: \(files)/\(total) files") }
        }
        print("published \(repository) revision \(report.revision): \(manifest.prefix)")
    }
}

struct StackListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the stacks found under the mount root (what the hub offers).")

    @Option(help: "Where repositories are mounted.")
    var mountRoot: String = "/cvmfs"

    func run() async throws {
        let stacks = StackManifest.discover(in: [mountRoot])
        if stacks.isEmpty { print("No stacks under \(mountRoot).") }
        for stack in stacks {
            print(
                "\(stack.name)\t\(stack.prefix)\tPython \(stack.python)\t\(stack.kernels.joined(separator: ","))\t\(stack.description)"
            )
        }
    }
}
