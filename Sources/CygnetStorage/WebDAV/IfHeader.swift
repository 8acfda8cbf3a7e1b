/// The `If` header (RFC 4918 §10.4): lists of lock-token and ETag conditions, optionally tagged with the resource
/// they apply to. True when any list holds; a list holds when all its conditions do.
struct IfHeader: Equatable {
    struct Condition: Equatable {
        enum Kind: Equatable {
            case token(String)
            case etag(String)
        }
        var negated: Bool
        var kind: Kind
    }

    struct List: Equatable {
        /// The resource the list is about (a URL or path as sent); nil for the request's own resource.
        var resourceTag: String?
        var conditions: [Condition]
    }

    var lists: [List]

    /// Lock tokens the client offers (in any list, not negated): the locks it may act under.
    var submittedTokens: Set<String> {
        var tokens: Set<String> = []
        for list in lists {
            for condition in list.conditions where !condition.negated {
                if case .token(let token) = condition.kind { tokens.insert(token) }
            }
        }
        return tokens
    }

    init(parsing text: String) throws(StorageError) {
        var scanner = Substring(text)
        var lists: [List] = []
        var tag: String?
        func fail() -> StorageError { StorageError(.badRequest, "The If header is malformed: \(text)") }
        while true {
            scanner = scanner.drop(while: \.isWhitespace)
            guard let first = scanner.first else { break }
            if first == "<" {
                guard let end = scanner.firstIndex(of: ">") else { throw fail() }
                tag = String(scanner[scanner.index(after: scanner.startIndex)..<end])
                scanner = scanner[scanner.index(after: end)...]
                continue
            }
            guard first == "(", let close = scanner.firstIndex(of: ")") else { throw fail() }
            let inside = scanner[scanner.index(after: scanner.startIndex)..<close]
            lists.append(List(resourceTag: tag, conditions: try Self.conditions(in: inside, fail: fail)))
            scanner = scanner[scanner.index(after: close)...]
        }
        guard !lists.isEmpty else { throw fail() }
        self.lists = lists
    }

    private static func conditions(in text: Substring, fail: () -> StorageError) throws(StorageError) -> [Condition] {
        var scanner = text
        var conditions: [Condition] = []
        while true {
            scanner = scanner.drop(while: \.isWhitespace)
            guard !scanner.isEmpty else { break }
            var negated = false
            if scanner.hasPrefix("Not") {
                negated = true
                scanner = scanner.dropFirst(3).drop(while: \.isWhitespace)
            }
            guard let opener = scanner.first, opener == "<" || opener == "[" else { throw fail() }
            let closer: Character = opener == "<" ? ">" : "]"
            guard let end = scanner.firstIndex(of: closer) else { throw fail() }
            let value = String(scanner[scanner.index(after: scanner.startIndex)..<end])
            conditions.append(Condition(negated: negated, kind: opener == "<" ? .token(value) : .etag(value)))
            scanner = scanner[scanner.index(after: end)...]
        }
        guard !conditions.isEmpty else { throw fail() }
        return conditions
    }

    /// Evaluates the header. `state` gives, for a resource tag (nil = the request's resource), its current ETag
    /// (quoted) and the tokens of the locks that cover it.
    func holds(state: (String?) -> (etag: String?, tokens: Set<String>)) -> Bool {
        lists.contains { list in
            let (etag, tokens) = state(list.resourceTag)
            return list.conditions.allSatisfy { condition in
                let matches: Bool =
                    switch condition.kind {
                    case .token(let token): tokens.contains(token)
                    case .etag(let expected): etag.map { Self.sameETag($0, expected) } ?? false
                    }
                return matches != condition.negated
            }
        }
    }

    static func sameETag(_ left: String, _ right: String) -> Bool {
        func strip(_ tag: String) -> Substring {
            var value = Substring(tag)
            if value.hasPrefix("W/") { value = value.dropFirst(2) }
            return value
        }
        return strip(left) == strip(right)
    }
}
