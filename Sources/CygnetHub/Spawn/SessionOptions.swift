public import Foundation

/// What a user chose for a session: from the form, a launch link or the REST API's `user_options`.
public struct SessionOptions: Sendable, Equatable, Codable {
    public var stack: String
    public var cores: Int
    public var memoryMB: Int
    /// Shell commands run as the user before the server starts (empty: none).
    public var startupScript: String
    /// A file to open once the session is ready, relative to the home directory.
    public var open: String?

    enum CodingKeys: String, CodingKey {
        case stack, cores, open
        case memoryMB = "memory_mb"
        case startupScript = "startup_script"
    }

    public init(stack: String, cores: Int, memoryMB: Int, startupScript: String = "", open: String? = nil) {
        self.stack = stack
        self.cores = cores
        self.memoryMB = memoryMB
        self.startupScript = startupScript
        self.open = open
    }

    /// The defaults for this user, from the configuration.
    public static func defaults(_ settings: HubSettings) -> SessionOptions {
        SessionOptions(
            stack: settings.stacks.first?.name ?? "default", cores: settings.limits.defaultCores,
            memoryMB: settings.limits.defaultMemoryMB)
    }

    /// The largest cores and memory this user may ask for: the general maxima, raised by any of their groups.
    public static func maxima(_ settings: HubSettings, groups: [String]) -> (cores: Int, memoryMB: Int) {
        var cores = settings.limits.maximumCores
        var memory = settings.limits.maximumMemoryMB
        for group in groups {
            guard let limit = settings.limits.groups[group] else { continue }
            cores = max(cores, limit.maximumCores)
            memory = max(memory, limit.maximumMemoryMB)
        }
        return (cores, memory)
    }

    /// Reads and checks choices given as text (form fields, URL query, JSON values turned into text). Missing
    /// fields take the defaults; every problem is reported in words, all at once.
    public static func parse(
        _ fields: [String: String], settings: HubSettings, groups: [String]
    ) throws(SessionOptionsError) -> SessionOptions {
        var options = defaults(settings)
        var problems: [String] = []
        let limits = maxima(settings, groups: groups)
        if let stack = fields["stack"], !stack.isEmpty {
            if settings.stack(named: stack) == nil {
                let names = settings.stacks.map(\.name).joined(separator: ", ")
                problems.append("There is no software stack called '\(stack)'. Choose one of: \(names).")
            } else {
                options.stack = stack
            }
        }
        if let text = fields["cores"], !text.isEmpty {
            if let cores = Int(text.trimmingCharacters(in: .whitespaces)), (1...limits.cores).contains(cores) {
                options.cores = cores
            } else {
                problems.append("Cores must be a whole number from 1 to \(limits.cores); '\(text)' is not allowed.")
            }
        }
        if let text = fields["memory_mb"] ?? fields["memory"], !text.isEmpty {
            if let memory = parseMemory(text), (128...limits.memoryMB).contains(memory) {
                options.memoryMB = memory
            } else {
                problems.append(
                    "Memory must be from 128 MB to \(limits.memoryMB) MB (e.g. 2048 or 2G); '\(text)' is not allowed.")
            }
        }
        if let script = fields["startup_script"] {
            let normalized = script.replacingOccurrences(of: "\r\n", with: "\n")
            if normalized.utf8.count > 64 * 1024 {
                problems.append("The startup script is longer than 64 KB.")
            } else if normalized.contains("\0") {
                problems.append("The startup script contains a NUL character.")
            } else {
                options.startupScript =
                    normalized.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "" : normalized
            }
        }
        if let open = fields["open"], !open.isEmpty {
            if let path = checkedOpenPath(open) {
                options.open = path
            } else {
                problems.append(
                    "The file to open ('\(open)') must be a path inside your home folder, such as notebooks/intro.ipynb."
                )
            }
        }
        if !problems.isEmpty { throw SessionOptionsError(problems: problems) }
        return options
    }

    /// `2048`, `2048M`, `2G` or `1.5G` → megabytes.
    static func parseMemory(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let value = Int(trimmed) { return value }
        for (suffix, factor) in [("GB", 1024.0), ("G", 1024.0), ("MB", 1.0), ("M", 1.0)] where trimmed.hasSuffix(suffix)
        {
            guard let number = Double(trimmed.dropLast(suffix.count)), number > 0, number < 1e7 else { return nil }
            return Int(number * factor)
        }
        return nil
    }

    /// A relative path without `..`, empty or hidden tricks: it becomes part of a URL under the user's prefix.
    static func checkedOpenPath(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !path.hasPrefix("/"), path.utf8.count <= 1024, !parts.isEmpty else { return nil }
        for part in parts {
            if part == "." || part == ".." { return nil }
            if part.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" || $0.value == 0x7f }) { return nil }
        }
        return parts.joined(separator: "/")
    }

    /// The choices as URL query items, for a launch link that starts exactly this session.
    public var queryItems: [URLQueryItem] {
        var items = [
            URLQueryItem(name: "stack", value: stack), URLQueryItem(name: "cores", value: String(cores)),
            URLQueryItem(name: "memory_mb", value: String(memoryMB)),
        ]
        if let open { items.append(URLQueryItem(name: "open", value: open)) }
        return items
    }
}

/// Choices that cannot be used, each explained.
public struct SessionOptionsError: Error, Sendable {
    public var problems: [String]
    public var message: String { problems.joined(separator: " ") }
}
