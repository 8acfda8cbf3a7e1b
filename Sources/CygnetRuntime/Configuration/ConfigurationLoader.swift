import Configuration
import Foundation
import SystemPackage
import Yams

/// Builds the `SettingsReader` for the whole appliance: the YAML file (optional) with `CYGNET_…`
/// environment variables taking precedence, e.g. `CYGNET_AUTH_PORT=9000` overrides `auth.port`.
public enum ConfigurationLoader {
    public static func load(
        file path: String?,
        environment: [String: String]? = nil
    ) async throws -> SettingsReader {
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment ?? ProcessInfo.processInfo.environment
        )
        .prefixKeys(with: "cygnet")
        guard let path else {
            return SettingsReader(reader: ConfigReader(provider: environmentProvider))
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationFileError(path: path, reason: "the file does not exist or is not readable")
        }
        let keys = try leafKeys(ofYAML: text, path: path)
        let fileProvider = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
        let reader = ConfigReader(providers: [environmentProvider, fileProvider])
        return SettingsReader(reader: reader, fileKeys: keys, sourceName: path)
    }

    /// Every leaf key of the document in dotted form; also where a syntax error is reported with its line.
    static func leafKeys(ofYAML text: String, path: String) throws -> Set<String> {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationFileError(path: path, reason: "it is not valid YAML: \(error)")
        }
        guard let node else { return [] }
        guard node.mapping != nil else {
            throw ConfigurationFileError(path: path, reason: "the top level must be a mapping of settings (key: value)")
        }
        var keys: Set<String> = []
        collect(node, prefix: "", into: &keys)
        return keys
    }

    private static func collect(_ node: Node, prefix: String, into keys: inout Set<String>) {
        guard let mapping = node.mapping else {
            if !prefix.isEmpty { keys.insert(prefix) }
            return
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            collect(value, prefix: prefix.isEmpty ? name : prefix + "." + name, into: &keys)
        }
    }
}
