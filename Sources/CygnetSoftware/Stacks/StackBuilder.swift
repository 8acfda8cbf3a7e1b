public import CygnetRuntime
public import Foundation

/// Builds a software stack: a Python environment made at the path where sessions will see it
/// (`/cvmfs/<repository>/stacks/<name>`), so its scripts and kernels need no relocation; then published.
///
/// The environment is created inside the publisher's source tree, which a private mount namespace shows at the
/// final path for the duration of the build only (the same trick as `cvmfs_server transaction`, without
/// touching the live mount other processes see).
public struct StackBuilder: Sendable {
    public let publisher: Publisher
    /// The tree that `publish` reads for this repository.
    public let sourceRoot: URL
    /// Where repositories are mounted for sessions, normally /cvmfs.
    public let mountRoot: String

    public init(publisher: Publisher, sourceRoot: URL, mountRoot: String = "/cvmfs") {
        self.publisher = publisher
        self.sourceRoot = sourceRoot
        self.mountRoot = mountRoot
    }

    public struct Request: Sendable {
        public var name: String
        public var description: String
        public var requirements: URL
        public var python: String
        public var pipCache: URL?

        public init(
            name: String, description: String, requirements: URL, python: String = "/usr/bin/python3",
            pipCache: URL? = nil
        ) {
            self.name = name
            self.description = description
            self.requirements = requirements
            self.python = python
            self.pipCache = pipCache
        }
    }

    public func prefix(of name: String) -> String { "\(mountRoot)/\(publisher.name)/stacks/\(name)" }

    /// Builds the environment (output lines go to `output`), writes kernels and metadata. Does not publish.
    public func build(_ request: Request, output: @escaping @Sendable (String) -> Void) throws -> StackManifest {
        try Self.validate(name: request.name)
        guard getuid() == 0 else {
            throw SoftwareError(.unsupported, "building a stack needs root (it mounts the source at \(mountRoot))")
        }
        let requirements = try String(contentsOf: request.requirements, encoding: .utf8)
        let stackSource = sourceRoot.appending(path: "stacks/\(request.name)")
        try AtomicFile.makeDirectory(sourceRoot.appending(path: "stacks"))
        try AtomicFile.makeDirectory(URL(filePath: "\(mountRoot)/\(publisher.name)"))
        try runInNamespace(script(request), output: output)
        let manifest = StackManifest(
            name: request.name, description: request.description, prefix: prefix(of: request.name),
            python: try pythonVersion(stackSource), kernels: try writeKernels(stackSource, name: request.name),
            requirements: requirements.split(separator: "\n").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty && !$0.hasPrefix("#") }, builtAt: Date())
        try writeEnvironmentScript(stackSource, prefix: manifest.prefix)
        // A catalog of its own per stack: clients load only the stacks they use.
        try AtomicFile.write([], to: stackSource.appending(path: ".cvmfscatalog"))
        try AtomicFile.write(try manifest.encoded(), to: stackSource.appending(path: StackManifest.fileName))
        return manifest
    }

    static func validate(name: String) throws {
        let allowed = name.allSatisfy {
            $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".")
        }
        guard !name.isEmpty, name.count <= 40, allowed, name.first?.isLetter == true else {
            throw SoftwareError(
                .invalidArgument,
                "'\(name)' cannot name a stack: use lowercase letters, digits, '-', '_' and '.', starting with a letter"
            )
        }
    }

    private func script(_ request: Request) -> String {
        let mountPoint = "\(mountRoot)/\(publisher.name)"
        let prefix = prefix(of: request.name)
        let cache = request.pipCache.map { "export PIP_CACHE_DIR=\(Self.quoted($0.path))" } ?? ""
        return """
            set -euo pipefail
            mount --bind \(Self.quoted(sourceRoot.path)) \(Self.quoted(mountPoint))
            rm -rf \(Self.quoted(prefix))
            \(cache)
            export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
            echo "creating the Python environment at \(prefix)"
            \(Self.quoted(request.python)) -m venv \(Self.quoted(prefix))
            echo "installing the packages of \(request.requirements.lastPathComponent) (ROOT alone is a 250 MB download)"
            \(Self.quoted(prefix))/bin/python -m pip install --no-input -r \(Self.quoted(request.requirements.path))
            \(Self.quoted(prefix))/bin/python -m compileall -q -j 0 \(Self.quoted(prefix))/lib >/dev/null || true
            echo "recording what the usual imports read (the mount fetches it ahead: .cygnet-prefetch)"
            \(Self.quoted(prefix))/bin/python -W ignore - >\(Self.quoted(prefix))/.cygnet-prefetch <<'PYTHON' || true
            \(Self.bundleRecorder)
            PYTHON
            """
    }

    private func runInNamespace(_ script: String, output: @escaping @Sendable (String) -> Void) throws {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/bin/bash", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let tail = LineTail()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                tail.append(String(line))
                output(String(line))
            }
        }
        do { try process.run() } catch {
            throw SoftwareError(.unsupported, "cannot run unshare (util-linux) to build the stack", underlying: error)
        }
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        guard process.terminationStatus == 0 else {
            throw SoftwareError(
                .io,
                "building the stack failed (exit \(process.terminationStatus)); last lines:\n"
                    + tail.lines.joined(separator: "\n"))
        }
    }

    private func pythonVersion(_ stack: URL) throws -> String {
        let configuration = try String(contentsOf: stack.appending(path: "pyvenv.cfg"), encoding: .utf8)
        let line = configuration.split(separator: "\n").first { $0.hasPrefix("version") }
        return line.map { String($0.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "3"
    }

    /// Kernels the environment brings (ipykernel's python3), plus ROOT's C++ kernel when ROOT is installed.
    private func writeKernels(_ stack: URL, name: String) throws -> [String] {
        let kernels = stack.appending(path: "share/jupyter/kernels")
        let rootKernel = try FileManager.default.contentsOfDirectory(atPath: stack.appending(path: "lib").path)
            .map { stack.appending(path: "lib/\($0)/site-packages/ROOT/etc/notebook/kernels/root") }
            .first { FileManager.default.fileExists(atPath: $0.path) }
        if let rootKernel {
            let destination = kernels.appending(path: "root")
            try? FileManager.default.removeItem(at: destination)
            try AtomicFile.makeDirectory(kernels)
            try FileManager.default.copyItem(at: rootKernel, to: destination)
            let specification: [String: Any] = [
                "argv": [
                    prefix(of: name) + "/bin/python", "-m", "ROOT._jupyroot.kernel.rootkernel", "-f",
                    "{connection_file}",
                ],
                "display_name": "ROOT C++", "language": "c++",
            ]
            let data = try JSONSerialization.data(
                withJSONObject: specification, options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(Array(data), to: destination.appending(path: "kernel.json"))
        }
        return ((try? FileManager.default.contentsOfDirectory(atPath: kernels.path)) ?? []).sorted()
    }

    private func writeEnvironmentScript(_ stack: URL, prefix: String) throws {
        let script = """
            # Source this to use the stack in a shell: . \(prefix)/environment.sh
            export PATH=\(Self.quoted(prefix))/bin:"$PATH"
            export VIRTUAL_ENV=\(Self.quoted(prefix))
            export JUPYTER_PATH=\(Self.quoted(prefix))/share/jupyter
            """
        try AtomicFile.write(Array((script + "\n").utf8), to: stack.appending(path: "environment.sh"), mode: 0o644)
    }

    /// Imports what a session usually imports first and prints, relative to the stack and in the order they were
    /// loaded, the files that took: compiled modules and mapped shared libraries. Libraries mapped only to be read
    /// in part (ROOT's `.pcm` modules, anything over 32 MiB) are left to be fetched when read.
    static let bundleRecorder = """
        import importlib, os, sys
        for name in ["numpy", "pandas", "matplotlib", "ROOT", "ipykernel.kernelapp"]:
            try:
                importlib.import_module(name)
            except Exception:
                pass
        prefix = os.path.realpath(sys.prefix) + "/"
        paths = []
        for module in list(sys.modules.values()):
            for path in (getattr(module, "__cached__", None), getattr(module, "__file__", None)):
                if path and os.path.exists(path):
                    paths.append(path)
                    break
        with open("/proc/self/maps") as maps:
            paths += [line.split()[-1] for line in maps if len(line.split()) >= 6]
        seen = set()
        for path in paths:
            path = os.path.realpath(path)
            if not path.startswith(prefix) or path in seen or path.endswith(".pcm"):
                continue
            if os.path.getsize(path) > 32 << 20:
                continue
            seen.add(path)
            print(path[len(prefix):])
        """

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// The last lines of a build's output, for the error message when it fails.
private final class LineTail: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [String] = []

    func append(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(line)
        if buffer.count > 20 { buffer.removeFirst() }
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }
}
