import Foundation

/// Finds the other Cygnet binaries (`cygnet-auth`, later `cygnet-hub` …) in the folder of the running `cygnet`,
/// wherever it was installed or built, following symbolic links to the real file.
enum SiblingExecutable {
    static func path(named name: String) throws -> String {
        let folder = ownFolder()
        let candidate = folder + "/" + name
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw CLIError(
                "cannot find \(name) next to cygnet (looked for \(candidate)); install both together, or build it "
                    + "with `swift build --product \(name)`.")
        }
        return candidate
    }

    /// The folder of the running binary: `/proc/self/exe` resolves every symbolic link; `argv[0]` is the fallback.
    static func ownFolder() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return (resolved as NSString).deletingLastPathComponent
        }
        let invoked = StateOptions.absolute(CommandLine.arguments.first ?? "cygnet")
        let real = URL(fileURLWithPath: invoked).resolvingSymlinksInPath().path
        return (real as NSString).deletingLastPathComponent
    }
}
