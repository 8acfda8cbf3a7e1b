import CygnetAuth

/// The password for `--password-stdin`: the first line of standard input, so `echo secret | cygnet …` and a
/// password manager's pipe both work.
enum PasswordInput {
    static func read(from console: Console) throws -> String {
        let firstLine = console.readLine() ?? ""
        guard !firstLine.isEmpty else {
            throw CLIError("no password arrived on standard input; pipe one in, e.g. `echo 'the password' | cygnet …`.")
        }
        do {
            try AccountValidation.checkPassword(firstLine)
        } catch {
            throw CLIError.presentable(error)
        }
        return firstLine
    }
}
