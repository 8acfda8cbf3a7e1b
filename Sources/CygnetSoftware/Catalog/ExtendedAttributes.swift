/// Extended attributes as a catalog stores them: version 1, a count, then length-prefixed keys and values,
/// sorted by key (at most 255 attributes, each key and value at most 255 bytes).
public struct ExtendedAttributes: Sendable, Equatable {
    public private(set) var attributes: [(name: [UInt8], value: [UInt8])]

    public init(_ attributes: [(name: [UInt8], value: [UInt8])]) throws {
        guard attributes.count <= 255 else {
            throw SoftwareError(.unsupported, "more than 255 extended attributes on one file")
        }
        for attribute in attributes {
            guard !attribute.name.isEmpty, attribute.name.count <= 255, attribute.value.count <= 255,
                !attribute.name.contains(0)
            else {
                let name = String(decoding: attribute.name, as: UTF8.self)
                throw SoftwareError(
                    .unsupported, "the extended attribute '\(name)' is longer than 255 bytes (name or value)")
            }
        }
        self.attributes = attributes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    public init(blob: [UInt8]) throws {
        guard blob.count >= 2, blob[0] == 1 else {
            throw SoftwareError(.corrupt, "an extended attribute record has an unknown version")
        }
        var attributes: [(name: [UInt8], value: [UInt8])] = []
        var position = 2
        for _ in 0..<Int(blob[1]) {
            guard position + 2 <= blob.count else { throw SoftwareError(.corrupt, "a truncated extended attribute") }
            let nameLength = Int(blob[position])
            let valueLength = Int(blob[position + 1])
            position += 2
            guard position + nameLength + valueLength <= blob.count else {
                throw SoftwareError(.corrupt, "a truncated extended attribute")
            }
            attributes.append(
                (
                    Array(blob[position..<position + nameLength]),
                    Array(blob[position + nameLength..<position + nameLength + valueLength])
                ))
            position += nameLength + valueLength
        }
        self.attributes = attributes
    }

    public var blob: [UInt8] {
        var bytes: [UInt8] = [1, UInt8(attributes.count)]
        for attribute in attributes {
            bytes += [UInt8(attribute.name.count), UInt8(attribute.value.count)]
            bytes += attribute.name + attribute.value
        }
        return bytes
    }

    public func value(of name: [UInt8]) -> [UInt8]? { attributes.first { $0.name == name }?.value }

    public static func == (lhs: ExtendedAttributes, rhs: ExtendedAttributes) -> Bool {
        lhs.attributes.elementsEqual(rhs.attributes) { $0.name == $1.name && $0.value == $1.value }
    }
}
