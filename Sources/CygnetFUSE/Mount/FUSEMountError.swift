/// Why a file system could not be mounted or stopped serving.
///
/// `message` is written for an operator and names the mount point; `errno` keeps the system's reason.
public struct FUSEMountError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Extensible: new codes may be added, so don't switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case invalidMountPoint
            case alreadyMounted
            case mountFailed
            case loopFailed
            case alreadyRunning
        }

        let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The mount point does not exist, is not a directory, or cannot be examined.
        public static let invalidMountPoint = Self(.invalidMountPoint)
        /// Something is mounted on the mount point already (a stale FUSE mount is cleared, not reported).
        public static let alreadyMounted = Self(.alreadyMounted)
        /// libfuse refused the options or the kernel refused the mount; libfuse logs its reason on stderr.
        public static let mountFailed = Self(.mountFailed)
        /// Reading requests from the kernel failed while mounted.
        public static let loopFailed = Self(.loopFailed)
        /// `run()` was called a second time on the same ``FUSEMount``.
        public static let alreadyRunning = Self(.alreadyRunning)

        public var description: String {
            base.rawValue
        }
    }

    public var code: Code
    /// What went wrong and where, for a person.
    public var message: String
    /// The system's reason, when there is one.
    public var errno: Int32?

    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        "FUSEMountError.\(code): \(message)"
    }
}
