/// Route prefixes are compared as strings, so every way of spelling one is reduced to a
/// single form first: a leading slash and no trailing slash (except for the root `/`).
enum RoutePrefix {
    static func normalize(_ raw: some StringProtocol) -> String {
        var trimmed = Substring(raw)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed.hasPrefix("/") ? String(trimmed) : "/" + trimmed
    }
}
