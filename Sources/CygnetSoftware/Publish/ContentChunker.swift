/// Content-defined cut points for large files (the reference publisher's xor32 detector), so an edit in the
/// middle of a large file changes only the chunks around it and unchanged chunks are shared between revisions.
struct ContentChunker {
    static let minimumSize = 4 << 20
    static let averageSize = 8 << 20
    static let maximumSize = 16 << 20
    private static let window = 32
    private static let threshold = UInt32.max / UInt32(averageSize)
    private static let magic: Int32 = 0x7FFF_FFFF

    private var lastCut = 0
    private var value: UInt32 = 0

    /// Feeds `bytes`, which start at `offset` in the file; returns the cut offsets found in them (each cut is the
    /// first byte of the next chunk).
    mutating func cuts(in bytes: UnsafeRawBufferPointer, at offset: Int) -> [Int] {
        var cuts: [Int] = []
        var position = offset
        let end = offset + bytes.count
        while position < end {
            let sinceCut = position - lastCut
            if sinceCut >= Self.maximumSize {
                cut(at: position, into: &cuts)
                continue
            }
            if sinceCut < Self.minimumSize - Self.window {
                position = min(end, lastCut + Self.minimumSize - Self.window)
                continue
            }
            value = (value << 1) ^ UInt32(bytes[position - offset])
            if position - lastCut >= Self.minimumSize,
                Self.distance(Int32(bitPattern: value), Self.magic) < Self.threshold
            {
                cut(at: position, into: &cuts)
            }
            position += 1
        }
        return cuts
    }

    private mutating func cut(at position: Int, into cuts: inout [Int]) {
        cuts.append(position)
        lastCut = position
        value = 0
    }

    private static func distance(_ a: Int32, _ b: Int32) -> UInt32 {
        let difference = a &- b
        return difference == Int32.min ? UInt32(1) << 31 : UInt32(abs(difference))
    }
}
