import Foundation

/// One publisher per repository at a time: an exclusive `flock` that the kernel drops when the process dies, so a
/// killed publish never leaves a stale lock behind.
final class PublishLock {
    private let descriptor: Int32

    init(path: String, repository: RepositoryName) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SoftwareError.system("cannot open the lock file \(path)", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw SoftwareError(
                .busy,
                "another publish, rollback or garbage collection of \(repository) is running; try again when it ends")
        }
    }

    deinit { close(descriptor) }
}
