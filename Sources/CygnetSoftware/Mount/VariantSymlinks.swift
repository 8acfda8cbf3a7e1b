/// CernVM-FS variant symlinks: a link's target may name variables as `$(NAME)` or `$(NAME:-default)`, expanded
/// from the mount process's environment when the link is read, so one published link can point at a different
/// version on each machine (for instance `current -> $(STACK_VERSION:-2026a)`). An unset variable without a default
/// expands to nothing; text that is not a well-formed reference stays as it is.
struct VariantSymlinks: Sendable {
    let variables: [String: String]

    func expand(_ target: [UInt8]) -> [UInt8] {
        guard target.contains(UInt8(ascii: "$")) else { return target }
        var result: [UInt8] = []
        result.reserveCapacity(target.count)
        var index = 0
        while index < target.count {
            if let (replacement, end) = reference(in: target, at: index) {
                result += replacement
                index = end
            } else {
                result.append(target[index])
                index += 1
            }
        }
        return result
    }

    /// The expansion of a `$(…)` starting at `start`, and the index after its closing parenthesis.
    private func reference(in target: [UInt8], at start: Int) -> ([UInt8], Int)? {
        guard target[start] == UInt8(ascii: "$"), start + 1 < target.count, target[start + 1] == UInt8(ascii: "(")
        else { return nil }
        var index = start + 2
        while index < target.count, Self.isNameByte(target[index]) { index += 1 }
        let name = String(decoding: target[(start + 2)..<index], as: UTF8.self)
        guard !name.isEmpty, index < target.count else { return nil }
        var fallback: [UInt8] = []
        if target[index] == UInt8(ascii: ":") {
            guard index + 1 < target.count, target[index + 1] == UInt8(ascii: "-"),
                let close = target[(index + 2)...].firstIndex(of: UInt8(ascii: ")"))
            else { return nil }
            fallback = Array(target[(index + 2)..<close])
            index = close
        }
        guard target[index] == UInt8(ascii: ")") else { return nil }
        let value = variables[name].map { Array($0.utf8) } ?? fallback
        return (value, index + 1)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }
}
