extension Sequence<UInt8> {
    /// Lower-case hex, two digits a byte. Hand-rolled: `String(format:)` per byte cost more than the hash itself
    /// on the token path.
    public var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var characters = [UInt8]()
        characters.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
