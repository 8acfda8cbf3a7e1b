/// Reads the text `FileIndex.children` gets back: records of space-separated fields, each ending with a path whose
/// length in bytes comes just before it.
enum PackedRecords {
    /// The records keyed by file name (the path without its first `dropping` bytes); nil when the text is malformed.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, dropping prefixLength: Int) -> [String: FileRecord]? {
        var records: [String: FileRecord] = [:]
        var cursor = Cursor(bytes: bytes)
        while !cursor.atEnd {
            guard let id = cursor.integer(), let inode = cursor.integer() else { return nil }
            let modified = cursor.integer()
            let size = cursor.integer()
            let sha1 = cursor.word()
            let md5 = cursor.word()
            let adler = cursor.word()
            guard let pathLength = cursor.integer(), pathLength >= prefixLength,
                let path = cursor.take(Int(pathLength)), !cursor.malformed
            else { return nil }
            var checksums: Checksums?
            if sha1 != nil || md5 != nil || adler != nil, let modified, let size {
                checksums = Checksums(sha1: sha1, md5: md5, adler32: adler, modified: modified, size: size)
            }
            let name = String(decoding: UnsafeBufferPointer(rebasing: path[prefixLength...]), as: UTF8.self)
            records[name] = FileRecord(id: id, inode: UInt64(bitPattern: inode), checksums: checksums)
        }
        return records
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        /// Set when a number field held something else.
        var malformed = false

        var atEnd: Bool { position >= bytes.count }

        /// A field up to the next space (which is consumed); nil when the field is empty.
        mutating func word() -> String? {
            let start = position
            while position < bytes.count && bytes[position] != UInt8(ascii: " ") { position += 1 }
            defer { position += 1 }
            guard position > start else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }

        /// A decimal field, maybe negative; nil when it is empty. Anything else that is not a number marks the
        /// whole text malformed.
        mutating func integer() -> Int64? {
            var negative = false
            if position < bytes.count && bytes[position] == UInt8(ascii: "-") {
                negative = true
                position += 1
            }
            var magnitude: UInt64 = 0
            var digits = 0
            while position < bytes.count, bytes[position] != UInt8(ascii: " ") {
                let digit = bytes[position] &- UInt8(ascii: "0")
                let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
                let (next, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
                guard digit < 10, !overflowA, !overflowB else {
                    malformed = true
                    return nil
                }
                magnitude = next
                digits += 1
                position += 1
            }
            position += 1
            guard digits > 0 else {
                if negative { malformed = true }
                return nil
            }
            guard magnitude <= (negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)) else {
                malformed = true
                return nil
            }
            return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude)
        }

        /// The next `count` bytes.
        mutating func take(_ count: Int) -> UnsafeBufferPointer<UInt8>? {
            guard count >= 0, position + count <= bytes.count else { return nil }
            defer { position += count }
            return UnsafeBufferPointer(rebasing: bytes[position..<position + count])
        }
    }
}
