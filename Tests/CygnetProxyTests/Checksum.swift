import NIOCore

/// Order-sensitive FNV-1a over streamed bytes, to compare large bodies without keeping them.
struct Checksum: Equatable, Sendable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private(set) var count = 0

    mutating func add(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var hash = value
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            value = hash
        }
        count += buffer.readableBytes
    }
}

/// A deterministic body of any size, produced in chunks that differ from each other so lost,
/// duplicated or reordered chunks change the checksum.
struct PatternBody: Sequence, Sendable {
    static let chunkSize = 64 * 1024
    let size: Int

    func makeIterator() -> AnyIterator<ByteBuffer> {
        var offset = 0
        var chunk = ByteBuffer(bytes: (0..<Self.chunkSize).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        return AnyIterator {
            guard offset < size else { return nil }
            let length = Swift.min(Self.chunkSize, size - offset)
            chunk.setInteger(UInt64(offset), at: 0)
            offset += length
            return chunk.getSlice(at: 0, length: length)
        }
    }

    var checksum: Checksum {
        var checksum = Checksum()
        for chunk in self { checksum.add(chunk) }
        return checksum
    }
}
