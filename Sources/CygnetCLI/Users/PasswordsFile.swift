import Foundation

/// The `--passwords-out` file of an import: created (mode 0600) before anything is imported, so a path that
/// cannot be written stops the import instead of losing the passwords after it; removed again if the import fails.
struct PasswordsFile {
    let path: String
    private let handle: FileHandle
    private let createdHere: Bool

    init(creating path: String) throws {
        self.path = path
        createdHere = !FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CLIError(
                "cannot write the passwords file \(path): \(String(cString: strerror(errno))); choose another path.")
        }
        // An existing file keeps its mode through O_TRUNC; the passwords must not be readable by others.
        fchmod(descriptor, 0o600)
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Writes `username,password` lines, quoting as CSV needs.
    func write(_ entries: [(username: String, password: String)]) throws {
        var text = "username,password\r\n"
        for entry in entries { text += "\(Self.field(entry.username)),\(Self.field(entry.password))\r\n" }
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw CLIError("cannot write the passwords file \(path): \(error.localizedDescription).")
        }
    }

    func discard() {
        try? handle.close()
        if createdHere { try? FileManager.default.removeItem(atPath: path) }
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
