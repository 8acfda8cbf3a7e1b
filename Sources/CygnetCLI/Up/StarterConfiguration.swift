import Foundation

/// The `cygnet.yaml` that `cygnet up` writes on its first run: the few settings this machine needs, each with a
/// comment a teacher can follow when editing the file later.
struct StarterConfiguration: Equatable {
    var publicURL: String
    var stateDirectory: String
    var front: FrontDoor

    var databaseURL: String { "sqlite:\(stateDirectory)/cygnet.sqlite" }

    var yaml: String {
        """
        # Cygnet's settings, written by `cygnet up` the first time it ran here.
        # After editing, stop `cygnet up` (Ctrl-C) and start it again.
        # Any setting can also come from an environment variable: CYGNET_ followed by the key in capitals with
        # dots and underscores as underscores, e.g. CYGNET_AUTH_PORT=9000 for auth.port.

        # The address people type into their browser. Sign-in links point here, so it must work from their
        # computers: for a classroom, use this machine's name or IP address instead of 127.0.0.1.
        public_url: \(Self.quoted(publicURL))

        # The folder where Cygnet keeps its database, keys and people's files. Back it up.
        state_dir: \(Self.quoted(stateDirectory))

        database:
          # Accounts, groups and registered applications: an SQLite file in the state folder (fine for a few
          # hundred people), or postgres://user:password@host:5432/cygnet for a larger installation.
          url: \(Self.quoted(databaseURL))

        proxy:
          # The front door: the address and port people's browsers connect to. 127.0.0.1 accepts connections
          # from this machine only; 0.0.0.0 from other computers too. The parts of Cygnet behind it listen on
          # this machine only, on the next five ports (e.g. 8001-8005 for 8000).
          host: \(Self.quoted(front.host))
          port: \(front.port)

        """
    }

    /// Writes the file with mode 0600 (it may later hold a database password). The text goes to a temporary file
    /// first and is linked into place, so the file is never seen half-written, and a second `cygnet up` starting at
    /// the same moment cannot overwrite the first one's file (link fails if the name exists).
    func write(to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure(path, String(cString: strerror(errno))) }
        defer { unlink(temporary) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(yaml.utf8))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw Self.failure(path, error.localizedDescription)
        }
        guard link(temporary, path) == 0 else { throw Self.failure(path, String(cString: strerror(errno))) }
    }

    private static func failure(_ path: String, _ reason: String) -> CLIError {
        CLIError("cannot create the settings file \(path): \(reason).")
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"\(escaped)\""
    }
}
