import ArgumentParser
import CygnetSoftware
import Foundation

struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags", abstract: "List a repository's named revisions.")

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name.")
    var repository: String

    @Flag(help: "Also list the automatic tags made by every publish.")
    var all = false

    func run() async throws {
        let tags = try location.publisher(for: repository).tags(includeAutomatic: all)
        for tag in tags {
            let date = Date(timeIntervalSince1970: Double(tag.timestamp)).formatted(.iso8601)
            print("\(tag.name)\trevision \(tag.revision)\t\(date)\t\(tag.description)")
        }
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Make a tagged revision current again (as a new revision, so clients pick it up).")

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name.")
    var repository: String

    @Argument(help: "The tag to return to (see 'cygnet-software tags').")
    var tag: String

    func run() async throws {
        let revision = try location.publisher(for: repository).rollback(to: tag)
        print("\(repository) is back at '\(tag)', published as revision \(revision)")
    }
}

struct GarbageCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete stored files that neither the current revision nor a tag needs.")

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name.")
    var repository: String

    func run() async throws {
        let report = try location.publisher(for: repository).collectGarbage()
        print(
            "kept \(report.revisionsKept) revisions (\(report.objectsKept) objects); removed \(report.objectsRemoved) "
                + "objects (\(report.bytesRemoved / 1_048_576) MiB)")
    }
}

struct ResignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resign",
        abstract: "Sign the repository's whitelist again (clients refuse a repository whose whitelist expired).")

    @OptionGroup var location: SoftwareLocation

    @Argument(help: "The repository name.")
    var repository: String

    @Option(help: "Days the new whitelist is valid.")
    var days: Int = 30

    func run() async throws {
        try location.publisher(for: repository).resignWhitelist(days: days)
        print("signed a new whitelist for \(repository), valid for \(days) days")
    }
}
