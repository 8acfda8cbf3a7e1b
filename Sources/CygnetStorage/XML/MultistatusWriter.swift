/// Writes a `207 Multi-Status` body response by response, straight into one string: a listing of 10,000 files is
/// one pass with no intermediate tree.
struct MultistatusWriter {
    private(set) var output: String

    static let prefixes = [
        XMLNamespaces.dav: "d", XMLNamespaces.owncloud: "oc", XMLNamespaces.nextcloud: "nc", XMLNamespaces.sabre: "s",
    ]

    init(capacity: Int = 4096) {
        output = ""
        output.reserveCapacity(capacity)
        output += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        output += "<d:multistatus xmlns:d=\"DAV:\" xmlns:oc=\"http://owncloud.org/ns\""
        output += " xmlns:nc=\"http://nextcloud.org/ns\" xmlns:s=\"http://sabredav.org/ns\">"
    }

    /// One resource: the properties found (name and value XML) in a 200 propstat, then those missing in a 404 one
    /// (rclone skips an item whose first propstat is not 2xx).
    mutating func response(href: String, found: [(XMLName, String)], missing: [XMLName], failed: [(XMLName, String)] = [])
    {
        output += "<d:response><d:href>"
        output += XMLEscaping.text(href)
        output += "</d:href>"
        if !found.isEmpty {
            output += "<d:propstat><d:prop>"
            for (name, value) in found { element(name, value) }
            output += "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
        }
        if !missing.isEmpty {
            output += "<d:propstat><d:prop>"
            for name in missing { element(name, "") }
            output += "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"
        }
        for (name, status) in failed {
            output += "<d:propstat><d:prop>"
            element(name, "")
            output += "</d:prop><d:status>HTTP/1.1 \(status)</d:status></d:propstat>"
        }
        output += "</d:response>"
    }

    /// A resource that only has a status (a failed member of a COPY, DELETE or PROPPATCH).
    mutating func response(href: String, status: String) {
        output += "<d:response><d:href>\(XMLEscaping.text(href))</d:href><d:status>HTTP/1.1 \(status)</d:status>"
        output += "</d:response>"
    }

    mutating func element(_ name: XMLName, _ value: String) {
        let tag: String
        if let prefix = Self.prefixes[name.namespace] {
            tag = prefix + ":" + name.local
            output += "<" + tag
        } else if name.namespace.isEmpty {
            tag = name.local
            output += "<" + tag + " xmlns=\"\""
        } else {
            tag = "x:" + name.local
            output += "<" + tag + " xmlns:x=\"" + XMLEscaping.attribute(name.namespace) + "\""
        }
        if value.isEmpty {
            output += "/>"
        } else {
            output += ">" + value + "</" + tag + ">"
        }
    }

    mutating func finish() -> String {
        output += "</d:multistatus>"
        return output
    }
}
