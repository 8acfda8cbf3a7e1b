import ArgumentParser
import CygnetSoftware
import Foundation

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a folder as the next revision of a repository (created, with its keys, on first use).",
        discussion: """
            Only files that changed since the last publish are read again. A publish that is interrupted leaves the \
            previous revision in place. Example: cygnet-software publish software.cygnet.local /srv/stack --tag 2026a
            """)

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name, e.g. software.cygnet.local.")
    var repository: String

    @Argument(help: "The folder to publish.")
    var source: String

    @Option(help: "Name this revision, so you can roll back to it later.")
    var tag: String?

    @Option(help: "A description for the tag.")
    var tagDescription: String = ""

    @Option(help: "Content hash: sha1 (compatible with every CernVM-FS client) or shake128.")
    var hash: String = "sha1"

    @Option(help: "zlib level for file contents, 1 (fastest) to 9 (smallest).")
    var compressionLevel: Int32 = 1

    @Option(help: "Seconds clients keep a revision before they look for a newer one.")
    var ttl: Int = 240

    @Flag(help: "Do not cut files larger than 4 MiB into chunks.")
    var noChunking = false

    @Flag(help: "Print no progress.")
    var quiet = false

    func validate() throws {
        guard HashAlgorithm(name: hash) == .sha1 || HashAlgorithm(name: hash) == .shake128 else {
            throw ValidationError("--hash must be sha1 or shake128, not '\(hash)'")
        }
        guard (1...9).contains(compressionLevel) else {
            throw ValidationError("--compression-level must be between 1 and 9")
        }
        guard (1...86400).contains(ttl) else { throw ValidationError("--ttl must be between 1 and 86400 seconds") }
    }

    func run() async throws {
        let started = Date()
        let quiet = self.quiet
        let report = try await location.publisher(for: repository).publish(
            PublishOptions(
                source: URL(filePath: source), tag: tag, tagDescription: tagDescription,
                algorithm: HashAlgorithm(name: hash) ?? .sha1, compressionLevel: compressionLevel,
                chunking: !noChunking, timeToLive: ttl)
        ) { progress in
            guard !quiet else { return }
            switch progress {
            case .scanned(let entries, let changed):
                print("scanned \(entries) entries; \(changed) files are new or changed")
            case .hashed(let files, let total, let bytes):
                print("stored \(files)/\(total) files (\(bytes / 1_048_576) MiB)")
            case .writingCatalogs:
                print("writing catalogs and signing")
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print(
            "published \(repository) revision \(report.revision) in \(seconds) s: \(report.entries) entries, "
                + "\(report.filesHashed) files stored, \(report.filesReused) unchanged, \(report.catalogs) catalogs")
    }
}
