import Foundation

/// Plain POSIX calls the tests make on the mount, as a program would.
enum POSIX {
    static func status(_ path: String) -> (status: stat, errno: Int32) {
        var status = stat()
        let error = stat(path, &status) == 0 ? 0 : errno
        return (status, error)
    }

    static func linkStatus(_ path: String) -> stat {
        var status = stat()
        _ = lstat(path, &status)
        return status
    }

    /// Reads the whole file with `read(2)` in chunks of `chunkSize`.
    static func read(_ path: String, chunkSize: Int = 1 << 20) -> Data? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result = Data()
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, chunkSize) }
            guard count > 0 else { return count == 0 ? result : nil }
            result.append(contentsOf: chunk[..<count])
        }
    }

    static func read(_ descriptor: Int32, count: Int, at offset: Int) -> Data {
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        return Data(buffer[..<max(read, 0)])
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names `readdir(3)` returns, in order, duplicates kept.
    static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            names.append(
                withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return names
    }

    /// `getxattr` with a buffer of `size` bytes (0: the size query): the bytes, or the size, or the errno.
    static func extendedAttribute(_ path: String, _ name: String, size: Int) -> (value: Data, result: Int, errno: Int32)
    {
        var buffer = [UInt8](repeating: 0, count: size)
        let result = buffer.withUnsafeMutableBytes {
            XattrCalls.get(path, name, size == 0 ? nil : $0.baseAddress, size)
        }
        return (Data(buffer[..<max(min(result, size), 0)]), result, result < 0 ? errno : 0)
    }

    /// The names from `listxattr`, after asking for the size first as programs do.
    static func extendedAttributeNames(_ path: String) -> [String] {
        let size = XattrCalls.list(path, nil, 0)
        guard size > 0 else { return [] }
        var buffer = [CChar](repeating: 0, count: size)
        let count = XattrCalls.list(path, &buffer, size)
        return buffer[..<max(count, 0)].split(separator: 0).map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// `getxattr(2)` and `listxattr(2)`, looked up at run time: `<sys/xattr.h>` is not part of Swift's Glibc module.
private enum XattrCalls {
    typealias Get = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    typealias List = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int

    // A nil handle is RTLD_DEFAULT: the symbol from libc, already loaded.
    static let get = unsafeBitCast(dlsym(nil, "getxattr"), to: Get.self)
    static let list = unsafeBitCast(dlsym(nil, "listxattr"), to: List.self)
}
