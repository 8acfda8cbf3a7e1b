import CFuse3
import Glibc

extension RequestHandler {
    func extendedAttribute(_ request: OpaquePointer?, inode: UInt64, name: UnsafePointer<CChar>, size: Int) {
        do {
            let value = try fileSystem.extendedAttribute(inode, name: Self.bytes(of: name))
            Self.replySized(request, value, size: size)
        } catch {
            Self.replyError(request, error)
        }
    }

    /// The names, each followed by a NUL, as `listxattr(2)` returns them.
    func extendedAttributeNames(_ request: OpaquePointer?, inode: UInt64, size: Int) {
        do {
            let names = try fileSystem.extendedAttributeNames(inode)
            Self.replySized(request, names.flatMap { $0 + [0] }, size: size)
        } catch {
            Self.replyError(request, error)
        }
    }

    /// The `getxattr`/`listxattr` protocol: a zero `size` asks only how big the value is; a value larger
    /// than the caller's buffer is `ERANGE`.
    private static func replySized(_ request: OpaquePointer?, _ value: [UInt8], size: Int) {
        if size == 0 {
            _ = fuse_reply_xattr(request, value.count)
        } else if value.count > size {
            replyError(request, FUSEError(errno: ERANGE))
        } else {
            _ = value.withUnsafeBytes { fuse_reply_buf(request, $0.baseAddress, $0.count) }
        }
    }
}
