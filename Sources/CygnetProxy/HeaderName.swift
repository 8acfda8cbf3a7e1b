import NIOHTTP1

/// Case-insensitive header-name checks that work on the UTF-8 bytes directly: they run for
/// every header of every request, so they must not allocate lowercased copies.
enum HeaderName {
    /// `lowercased` must be ASCII lowercase, as all literals passed here are.
    static func matches(_ name: some StringProtocol, _ lowercased: StaticString) -> Bool {
        name.utf8.count == lowercased.utf8CodeUnitCount && hasPrefix(name, lowercased)
    }

    static func hasPrefix(_ name: some StringProtocol, _ lowercased: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        var actual = name.utf8.makeIterator()
        for byte in expected {
            guard let next = actual.next() else { return false }
            let lowered = (0x41...0x5A).contains(next) ? next | 0x20 : next
            guard lowered == byte else { return false }
        }
        return true
    }

    /// Headers that describe one TCP hop and must not be copied to the next (RFC 9110 §7.6.1).
    /// Transfer-Encoding is not listed: the HTTP codecs on each side own the framing.
    static func isHopByHop(_ name: String) -> Bool {
        matches(name, "connection") || matches(name, "keep-alive") || matches(name, "te")
            || matches(name, "trailer") || matches(name, "upgrade") || hasPrefix(name, "proxy-")
    }
}

extension HeaderName {
    /// Extra header names a sender marked as hop-by-hop by listing them in `Connection`.
    /// Usually empty: browsers only list `keep-alive`, `close` or `upgrade` there, and those are
    /// recognised without lowercasing anything.
    static func connectionOptions(_ headers: HTTPHeaders) -> [String] {
        var options: [String] = []
        for (name, value) in headers where matches(name, "connection") {
            for token in value.split(separator: ",") {
                guard let option = token.split(whereSeparator: { $0 == " " || $0 == "\t" }).first,
                    !matches(option, "keep-alive"), !matches(option, "close"), !matches(option, "upgrade")
                else { continue }
                options.append(option.lowercased())
            }
        }
        return options
    }

    static func isListed(_ name: String, in options: [String]) -> Bool {
        !options.isEmpty && options.contains(name.lowercased())
    }
}
