import Foundation

/// Writes that are all-or-nothing: a temporary file in the same directory, fsync, rename.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to url: URL, mode: mode_t = 0o644) throws {
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw SoftwareError.system("cannot create \(temporary)", errno: errno) }
        do {
            try writeAll(descriptor, bytes, path: temporary)
            guard fsync(descriptor) == 0 else { throw SoftwareError.system("cannot sync \(temporary)", errno: errno) }
            close(descriptor)
            guard rename(temporary, url.path) == 0 else {
                throw SoftwareError.system("cannot move \(temporary) to \(url.path)", errno: errno)
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer throws in
            try writeAll(descriptor, buffer, path: path)
        }
    }

    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SoftwareError.system("cannot write \(path)", errno: errno)
            }
            offset += written
        }
    }

    static func makeDirectory(_ url: URL, mode: Int = 0o755) throws {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw SoftwareError(.io, "cannot create the directory \(url.path)", underlying: error)
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw SoftwareError(
                code == ENOENT ? .notFound : .io, "cannot read \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = Foundation.read(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw SoftwareError.system("cannot read \(path)", errno: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
