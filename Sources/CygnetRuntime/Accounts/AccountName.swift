import Crypto
import Foundation

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

    /// The Unix account and home-folder name of a Cygnet user (`jupyter-<name>`): lowercase letters, digits, `-`
    /// and `_` only, at most 32 characters. A name that had to be changed gets a short hash of the original, so two
    /// users never share an account. The hub's session homes and storage's spaces are both named by it.
    public static func unixAccountName(for user: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        var mapped = String(user.lowercased().map { allowed.contains($0) ? $0 : "-" })
        let changed = mapped != user || mapped.first == "-"
        if changed || mapped.count > 20 {
            let digest = SHA256.hash(data: Data(user.utf8)).prefix(3).map { String(format: "%02x", $0) }.joined()
            mapped = String(mapped.prefix(16)) + "-" + digest
        }
        return "jupyter-" + mapped
    }
}
