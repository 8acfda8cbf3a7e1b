import CygnetRuntime

/// Checks of names, e-mail addresses and passwords, shared by the CLI, the roster import and the admin API,
/// so every door says the same thing about the same mistake.
public enum AccountValidation {
    /// Usernames become Unix account names for sessions, so they follow the portable rules:
    /// lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 32 characters.
    public static func checkUsername(_ name: String) throws(AuthError) {
        try checkName(name, what: "username")
    }

    public static func checkGroupName(_ name: String) throws(AuthError) {
        try checkName(name, what: "group name")
    }

    static func checkName(_ name: String, what: String) throws(AuthError) {
        guard !name.isEmpty else { throw AuthError(.invalidInput, "the \(what) is empty") }
        guard name.utf8.count <= AccountName.maximumLength else {
            throw AuthError(
                .invalidInput, "the \(what) '\(name)' is longer than \(AccountName.maximumLength) characters")
        }
        guard AccountName.hasOnlyAllowedCharacters(name), AccountName.startsWithLetterOrDigit(name) else {
            throw AuthError(
                .invalidInput,
                "the \(what) '\(name)' may use only lower-case letters a-z, digits, '.', '_' and '-', and must start with a letter or digit"
            )
        }
    }

    public static func checkEmail(_ email: String) throws(AuthError) {
        guard !email.isEmpty else { return }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), email.utf8.count <= 254, !email.contains(where: { $0.isWhitespace })
        else {
            throw AuthError(.invalidInput, "'\(email)' is not an e-mail address such as ada@example.org")
        }
    }

    public static func checkDisplayName(_ name: String) throws(AuthError) {
        guard name.count <= 200, !name.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw AuthError(.invalidInput, "the display name is longer than 200 characters or contains a line break")
        }
    }

    public static let minimumPasswordLength = 8

    public static func checkPassword(_ password: String) throws(AuthError) {
        guard password.count >= minimumPasswordLength else {
            throw AuthError(.invalidInput, "the password is shorter than \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= 1024 else {
            throw AuthError(.invalidInput, "the password is longer than 1024 bytes")
        }
    }

    public static func check(_ account: NewAccount) throws(AuthError) {
        try checkUsername(account.username)
        try checkDisplayName(account.displayName)
        try checkEmail(account.email)
        try checkPassword(account.password)
        for group in account.groups { try checkGroupName(group) }
    }
}
