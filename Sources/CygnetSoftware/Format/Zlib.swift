import CZlib

/// zlib streams (RFC 1950), as CernVM-FS stores catalogs and, by default, file contents.
public enum Zlib {
    /// Compresses a whole buffer. `level` 1 is several times faster than zlib's default (6) for a few percent more
    /// bytes; every reader accepts any level.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 1) -> [UInt8] {
        let deflater = Deflater(level: level)
        var output = [UInt8]()
        output.reserveCapacity(Int(compressBound(UInt(input.count))))
        deflater.feed(input, finish: true) { output.append(contentsOf: $0) }
        return output
    }

    public static func compress(_ input: [UInt8], level: Int32 = 1) -> [UInt8] {
        input.withUnsafeBytes { compress($0, level: level) }
    }

    /// Inflates a whole stream; refuses trailing garbage, truncation and output past `limit` bytes.
    /// `expectedSize`, when known (a file's size from its catalog), sizes the output once.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 1 << 34, expectedSize: Int = 0)
        throws -> [UInt8]
    {
        let inflater = try Inflater()
        var output = [UInt8]()
        output.reserveCapacity(min(max(expectedSize, input.count * 3), limit))
        try inflater.feed(input) { chunk in
            guard output.count + chunk.count <= limit else {
                throw SoftwareError(.corrupt, "a compressed object inflates to more than \(limit) bytes")
            }
            output.append(contentsOf: chunk)
        }
        try inflater.finish()
        return output
    }

    public static func decompress(_ input: [UInt8], limit: Int = 1 << 34, expectedSize: Int = 0) throws -> [UInt8] {
        try input.withUnsafeBytes { buffer in try decompress(buffer, limit: limit, expectedSize: expectedSize) }
    }
}

/// A streaming deflater: feed it pieces, it hands back compressed pieces.
public final class Deflater {
    private var stream = z_stream()
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    public init(level: Int32 = 1) {
        guard cygnet_deflate_init(&stream, level) == Z_OK else { fatalError("zlib could not start a deflate stream") }
    }

    deinit {
        deflateEnd(&stream)
        buffer.deallocate()
    }

    public func feed(
        _ input: UnsafeRawBufferPointer, finish: Bool, output: (UnsafeRawBufferPointer) -> Void
    ) {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        while true {
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(buffer.count)
            let status = deflate(&stream, flush)
            let produced = buffer.count - Int(stream.avail_out)
            if produced > 0 { output(UnsafeRawBufferPointer(rebasing: buffer[0..<produced])) }
            if status == Z_STREAM_END || (stream.avail_out != 0 && stream.avail_in == 0 && !finish) { break }
            precondition(status == Z_OK || status == Z_BUF_ERROR, "zlib deflate failed: \(status)")
        }
    }
}

/// A streaming inflater that checks the stream ends exactly once, with nothing after it.
public final class Inflater {
    private var stream = z_stream()
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    private var ended = false

    public init() throws {
        guard cygnet_inflate_init(&stream) == Z_OK else {
            buffer.deallocate()
            throw SoftwareError(.io, "zlib could not start an inflate stream")
        }
    }

    deinit {
        inflateEnd(&stream)
        buffer.deallocate()
    }

    public func feed(
        _ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard !ended || input.isEmpty else { throw SoftwareError(.corrupt, "data after the end of a zlib stream") }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        while stream.avail_in > 0 || !ended {
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(buffer.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.avail_out)
            if produced > 0 { try output(UnsafeRawBufferPointer(rebasing: buffer[0..<produced])) }
            switch status {
            case Z_STREAM_END:
                ended = true
                if stream.avail_in > 0 { throw SoftwareError(.corrupt, "data after the end of a zlib stream") }
                return
            case Z_OK:
                if stream.avail_in == 0 && stream.avail_out != 0 { return }
            case Z_BUF_ERROR:
                return
            default:
                throw SoftwareError(.corrupt, "not a valid zlib stream (zlib error \(status))")
            }
        }
    }

    /// Call after the last piece: a stream that has not ended is truncated.
    public func finish() throws {
        guard ended else { throw SoftwareError(.corrupt, "a zlib stream ends too early (truncated object)") }
    }
}
