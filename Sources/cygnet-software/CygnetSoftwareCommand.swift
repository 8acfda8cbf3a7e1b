import ArgumentParser

/// `cygnet-software`: publishes, serves and mounts software repositories in the CernVM-FS format.
@main
struct CygnetSoftwareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cygnet-software",
        abstract: "Publish, serve and mount read-only software repositories (the CernVM-FS format).",
        discussion: """
            A repository is a folder of software (Python environments, ROOT, …) published as a signed, versioned \
            snapshot. Sessions see it read-only under /cvmfs/<repository>, fetched on first use and cached.
            """,
        subcommands: [
            PublishCommand.self, TagsCommand.self, RollbackCommand.self, GarbageCollectCommand.self,
            ResignCommand.self, ServeCommand.self, MountCommand.self, StatusCommand.self,
            StackCommand.self,
        ]
    )
}
