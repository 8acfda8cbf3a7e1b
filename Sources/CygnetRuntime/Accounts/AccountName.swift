/// The rule for user and group names, shared by cygnet-auth (which creates them) and the hub (which receives them
/// in URLs and forms): 1–32 characters of a–z, 0–9, '.', '_' and '-', starting with a letter or digit.
public enum AccountName {
    public static let maximumLength = 32

    public static func hasOnlyAllowedCharacters(_ name: String) -> Bool {
        name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_"
                || scalar == "-"
        }
    }

    public static func startsWithLetterOrDigit(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        return first != "." && first != "-" && first != "_"
    }

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumLength && hasOnlyAllowedCharacters(name)
            && startsWithLetterOrDigit(name)
    }
}
