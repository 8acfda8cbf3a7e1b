import Foundation

/// Which process listens on a TCP port, read from `/proc` (Linux): the socket's inode from `/proc/net/tcp*`, then
/// the process holding that inode among its file descriptors. Nil when unknown (another user's process, not Linux).
struct PortOwner: Equatable {
    var processID: Int32
    var command: String

    /// One of Cygnet's own programs (`cygnet`, `cygnet-auth`, …).
    var isCygnet: Bool { command == "cygnet" || command.hasPrefix("cygnet-") }

    static func find(port: Int) -> PortOwner? {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            inodes.formUnion(listeningInodes(in: text, port: port))
        }
        guard !inodes.isEmpty else { return nil }
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in processes {
            guard let processID = Int32(name) else { continue }
            let fdFolder = "/proc/\(name)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fdFolder)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdFolder + "/" + fd),
                    target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast()))
                else { continue }
                let command = (try? String(contentsOfFile: "/proc/\(name)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                return PortOwner(processID: processID, command: command ?? "process \(name)")
            }
        }
        return nil
    }

    /// The inodes of sockets in LISTEN state (`0A`) on `port` in a `/proc/net/tcp` or `tcp6` table.
    static func listeningInodes(in table: String, port: Int) -> Set<String> {
        let portHex = String(format: "%04X", port)
        var inodes: Set<String> = []
        for line in table.split(whereSeparator: \.isNewline).dropFirst() {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count > 9, columns[3] == "0A",
                columns[1].split(separator: ":").last.map(String.init)?.uppercased() == portHex
            else { continue }
            inodes.insert(String(columns[9]))
        }
        return inodes
    }
}
