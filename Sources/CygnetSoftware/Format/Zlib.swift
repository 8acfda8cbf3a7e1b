import CDeflate
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
    /// libdeflate inflates it in one pass into a buffer of `expectedSize` (a file's size from its catalog) or,
    /// when that is unknown (catalogs), of a few times the input, retried larger when too small. A stream that
    /// does not inflate to exactly the expected size, or not at all, is inflated again by zlib, which says what
    /// is wrong.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 1 << 34, expectedSize: Int = 0)
        throws -> [UInt8]
    {
        if expectedSize > 0 {
            if expectedSize <= limit, case .inflated(let plain) = inflateWhole(input, capacity: expectedSize),
                plain.count == expectedSize
            {
                return plain
            }
        } else {
            var capacity = max(input.count * 6, 1 << 16)
            while true {
                let outcome = inflateWhole(input, capacity: min(capacity, limit))
                if case .inflated(let plain) = outcome { return plain }
                guard case .tooSmall = outcome, capacity < limit else { break }
                capacity *= 4
            }
        }
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

    /// The Adler-32 of a zlib stream's plain bytes, read from its trailer: free once the stream has been
    /// inflated (inflating checks it, and a stream that inflated is longer than its 4-byte trailer).
    static func plainChecksum(ofInflated stream: [UInt8]) -> UInt32 {
        stream.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Adler-32 (libdeflate's, vectorised), continuing from `running` (1 to start).
    static func adler32(_ buffer: UnsafeRawBufferPointer, continuing running: UInt32 = 1) -> UInt32 {
        libdeflate_adler32(running, buffer.baseAddress, buffer.count)
    }

    /// The Adler-32 of two pieces put end to end, from the pieces' own.
    static func adler32(combining first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: adler32_combine(UInt(first), UInt(second), off_t(secondLength)))
    }

    private enum WholeInflation {
        case inflated([UInt8])
        case tooSmall
        case failed
    }

    private static func inflateWhole(_ input: UnsafeRawBufferPointer, capacity: Int) -> WholeInflation {
        guard let decompressor = libdeflate_alloc_decompressor() else { return .failed }
        defer { libdeflate_free_decompressor(decompressor) }
        var consumed = 0
        var produced = 0
        var result = LIBDEFLATE_BAD_DATA
        let plain = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            result = libdeflate_zlib_decompress_ex(
                decompressor, input.baseAddress, input.count, buffer.baseAddress, capacity, &consumed, &produced)
            count = result == LIBDEFLATE_SUCCESS ? produced : 0
        }
        switch result {
        case LIBDEFLATE_SUCCESS where consumed == input.count: return .inflated(plain)
        case LIBDEFLATE_INSUFFICIENT_SPACE: return .tooSmall
        default: return .failed
        }
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
