/// One file or folder as a PROPFIND reports it: what `stat` says, the walk below a folder, the index's record and
/// the dead properties and locks that apply.
struct DAVResource {
    var path: SpacePath
    var entry: FileEntry
    /// For folders: everything below, for the ETag and the recursive size.
    var summary: TreeSummary?
    var record: FileRecord?
    var deadProperties: [DeadProperty] = []
    var locks: [ActiveLock] = []

    var etag: String { "\"" + (summary?.etag ?? entry.fileETag) + "\"" }
}

/// The properties the server computes (RFC 4918 §15 and the ownCloud ones sync clients ask for).
struct LiveProperties {
    let instanceID: String
    let owner: String
    /// Which `lockroot` hrefs to write: the DAV root the request came in under.
    let hrefBase: String
    /// The user's free bytes for `quota-available-bytes` (-3: no limit), when the request asks for it.
    var quotaAvailable: Int64 = -3

    /// What `allprop` returns besides the dead properties (RFC 4918 §9.1: the DAV live properties).
    static func allPropertyNames(isDirectory: Bool) -> [XMLName] {
        var names: [XMLName] = [.dav("resourcetype"), .dav("getlastmodified"), .dav("getetag"), .dav("creationdate")]
        if !isDirectory { names += [.dav("getcontentlength"), .dav("getcontenttype")] }
        return names + [.dav("supportedlock"), .dav("lockdiscovery")]
    }

    /// Names the ownCloud client and our own answers use, so a PROPFIND knows when it needs the index.
    static let indexedNames: Set<XMLName> = [.owncloud("id"), .owncloud("fileid"), .owncloud("checksums")]

    /// The value's XML, or nil when the property does not exist on this resource.
    func value(_ name: XMLName, of resource: DAVResource) -> String? {
        let entry = resource.entry
        switch name.namespace {
        case XMLNamespaces.dav: return davValue(name.local, of: resource)
        case XMLNamespaces.owncloud:
            switch name.local {
            case "id": return resource.record.map { Self.ocID($0.id, instanceID: instanceID) }
            case "fileid": return resource.record.map { String($0.id) }
            case "permissions": return entry.isDirectory ? "RGDNVCK" : "RGDNVW"
            case "size": return String(resource.summary?.totalSize ?? entry.size)
            case "checksums":
                guard !entry.isDirectory, let sums = resource.record?.checksums, sums.isValid(for: entry) else {
                    return nil
                }
                return "<oc:checksum>" + sums.listing + "</oc:checksum>"
            case "share-types", "data-fingerprint": return ""
            case "owner-id", "owner-display-name": return XMLEscaping.text(owner)
            default: return nil
            }
        case XMLNamespaces.nextcloud:
            switch name.local {
            case "has-preview": return "false"
            case "mount-type": return ""
            default: return nil
            }
        default: return nil
        }
    }

    private func davValue(_ local: String, of resource: DAVResource) -> String? {
        let entry = resource.entry
        switch local {
        case "resourcetype": return entry.isDirectory ? "<d:collection/>" : ""
        case "getlastmodified": return HTTPDate.format(seconds: entry.modifiedSeconds)
        case "creationdate": return HTTPDate.iso8601(seconds: entry.modifiedSeconds)
        case "getetag": return XMLEscaping.text(resource.etag)
        case "getcontentlength": return entry.isDirectory ? nil : String(entry.size)
        case "getcontenttype": return entry.isDirectory ? "httpd/unix-directory" : ContentTypes.type(of: entry.name)
        case "displayname": return XMLEscaping.text(resource.path.isRoot ? owner : entry.name)
        case "supportedlock":
            return "<d:lockentry><d:lockscope><d:exclusive/></d:lockscope><d:locktype><d:write/></d:locktype>"
                + "</d:lockentry><d:lockentry><d:lockscope><d:shared/></d:lockscope><d:locktype><d:write/>"
                + "</d:locktype></d:lockentry>"
        case "lockdiscovery": return resource.locks.map(activeLockXML).joined()
        case "quota-used-bytes": return entry.isDirectory ? String(resource.summary?.totalSize ?? 0) : nil
        case "quota-available-bytes": return entry.isDirectory ? String(quotaAvailable) : nil
        default: return nil
        }
    }

    func activeLockXML(_ lock: ActiveLock) -> String {
        "<d:activelock><d:locktype><d:write/></d:locktype><d:lockscope>"
            + (lock.exclusive ? "<d:exclusive/>" : "<d:shared/>") + "</d:lockscope><d:depth>"
            + (lock.infinite ? "infinity" : "0") + "</d:depth>"
            + (lock.ownerXML.isEmpty ? "" : "<d:owner>" + lock.ownerXML + "</d:owner>")
            + "<d:timeout>Second-\(lock.timeoutSeconds)</d:timeout><d:locktoken><d:href>" + lock.token
            + "</d:href></d:locktoken><d:lockroot><d:href>"
            + XMLEscaping.text(hrefBase + lock.root.encoded(isDirectory: false)) + "</d:href></d:lockroot></d:activelock>"
    }

    /// `oc:id`: the file id padded to eight digits, then the instance id (as ownCloud and Nextcloud write it).
    static func ocID(_ id: Int64, instanceID: String) -> String {
        let digits = String(id)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + instanceID
    }
}

/// Media types by file extension, for `getcontenttype` and downloads.
enum ContentTypes {
    static let byExtension: [String: String] = [
        "txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "html": "text/html", "htm": "text/html",
        "css": "text/css", "js": "text/javascript", "json": "application/json", "xml": "application/xml",
        "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "svg": "image/svg+xml", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "ipynb": "application/x-ipynb+json", "py": "text/x-python", "c": "text/x-c", "cpp": "text/x-c++",
        "h": "text/x-c", "root": "application/octet-stream",
    ]

    static func type(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
