import ArgumentParser
import CygnetSoftware
import Foundation

/// Where repositories, keys and the publisher's state live: `<software-dir>/repositories`, `/keys`, `/publisher`.
struct SoftwareLocation: ParsableArguments {
    @Option(
        name: .long,
        help: "Folder for Cygnet's software repositories, keys and cache (default: /var/lib/cygnet/software).")
    var softwareDir: String = ProcessInfo.processInfo.environment["CYGNET_SOFTWARE_DIR"] ?? "/var/lib/cygnet/software"

    var root: URL { URL(filePath: softwareDir).standardizedFileURL }
    var repositories: URL { root.appending(path: "repositories") }
    var keys: URL { root.appending(path: "keys") }
    var publisherState: URL { root.appending(path: "publisher") }

    func publisher(for repository: String) throws -> Publisher {
        let name = try RepositoryName(repository)
        return Publisher(
            storage: RepositoryStorage(storage: repositories, name: name), keysDirectory: keys,
            stateDirectory: publisherState)
    }
}
