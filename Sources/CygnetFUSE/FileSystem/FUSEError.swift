import Glibc

/// The errno a file system request is answered with.
///
/// Deliberately just a number: lookups of absent names are the common case (Python probes many), so throwing
/// must cost no allocation; typed throws of this struct cost none. Anything worth a message is logged by the
/// file system itself, where its context is.
public struct FUSEError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A positive errno value such as `ENOENT`.
    public var errno: Int32

    public init(errno: Int32) {
        self.errno = errno
    }

    /// `ENOENT`. A lookup that throws it is answered with a negative entry the kernel caches.
    public static let noSuchFileOrDirectory = Self(errno: ENOENT)
    /// `ENODATA`: no extended attribute by that name.
    public static let noData = Self(errno: ENODATA)
    /// `ENOTDIR`
    public static let notDirectory = Self(errno: ENOTDIR)
    /// `EISDIR`
    public static let isDirectory = Self(errno: EISDIR)
    /// `EINVAL`, also the answer to `readlink` on something that is not a link.
    public static let invalidArgument = Self(errno: EINVAL)
    /// `EACCES`
    public static let permissionDenied = Self(errno: EACCES)
    /// `EIO`: the data could not be fetched or failed verification.
    public static let inputOutput = Self(errno: EIO)
    /// `ENOTCONN`: the mount is not (or no longer) live.
    public static let notConnected = Self(errno: ENOTCONN)

    public var description: String {
        "errno \(errno) (\(String(cString: strerror(errno))))"
    }
}
