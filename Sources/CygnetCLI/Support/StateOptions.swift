public import ArgumentParser
import CygnetRuntime
import Foundation

/// Where the Cygnet installation a command works on lives: `--state-dir` and `--config`, shared by every command.
public struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "The folder where Cygnet keeps its settings, database and files.",
            discussion: "Default: $CYGNET_STATE_DIR if set, otherwise \(ApplianceSettings.defaultStateDirectory()).",
            valueName: "dir"))
    var stateDirectoryOption: String?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("The settings file to use (default: cygnet.yaml in the state folder).", valueName: "file"))
    var configFileOption: String?

    public init() {}

    /// The state directory as an absolute path.
    public var stateDirectory: String {
        let given =
            stateDirectoryOption ?? ProcessInfo.processInfo.environment["CYGNET_STATE_DIR"].flatMap {
                $0.isEmpty ? nil : $0
            } ?? ApplianceSettings.defaultStateDirectory()
        return Self.absolute(given)
    }

    /// The configuration file as an absolute path.
    public var configFile: String {
        configFileOption.map(Self.absolute) ?? stateDirectory + "/cygnet.yaml"
    }

    /// The sentence for a missing configuration file: the installation has not been set up here.
    var missingStateMessage: String {
        if configFileOption != nil {
            return
                "there is no settings file at \(configFile) — run `cygnet up` first, or pass --config with the right file."
        }
        return "no Cygnet state in \(stateDirectory) — run `cygnet up` first, or pass --state-dir."
    }

    static func absolute(_ path: String) -> String {
        let expanded = NSString(string: path).expandingTildeInPath
        let joined = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }
}
