import Logging
import NIOPosix
import ServiceLifecycle

/// Checkpoints the upload journal about once a second while uploads arrive, and once more at shutdown so that the
/// next start finds nothing to recover. The syncs run on a thread of their own: they wait for the disk, sometimes
/// long (everything dirty on the file system is written), and no request may wait with them.
struct JournalCheckpoints: Service {
    let journal: UploadJournal
    /// Holds the uploads' index rows in memory: written, and their database synced, before a segment is emptied.
    let index: FileIndex
    let logger: Logger
    /// How old the oldest record may grow before a checkpoint; also the window in which a power cut leaves work for
    /// the next start's recovery.
    var age = Duration.seconds(1)

    func run() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard journal.wantsCheckpoint(age: age) else { continue }
                if await !checkpoint(on: pool) {
                    try? await Task.sleep(for: .seconds(5))
                }
            }
        }
        // Twice: the segment active at shutdown may still have records after the first one empties the other.
        for _ in 0..<2 where journal.wantsCheckpoint(age: .zero) { _ = await checkpoint(on: pool) }
        try await pool.shutdownGracefully()
    }

    private func checkpoint(on pool: NIOThreadPool) async -> Bool {
        do {
            try await pool.runIfActive {
                try journal.checkpoint(
                    saving: index.flushPending, alsoSyncing: index.databaseFolders)
            }
            return true
        } catch {
            logger.error(
                "Could not save recent uploads to disk; they stay in the upload journal and the next try is in 5 s",
                metadata: ["error": "\(error)"])
            return false
        }
    }
}
