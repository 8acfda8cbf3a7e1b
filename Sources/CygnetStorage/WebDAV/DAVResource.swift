import NIOCore

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
    /// Where the request is: its permissions show in `oc:permissions`.
    let location: DAVLocation
    /// The user's free bytes for `quota-available-bytes` (-3: no limit), when the request asks for it.
    var quotaAvailable: Int64 = -3
    /// Files in one folder mostly share a few modification times: each is formatted once per listing.
    let dates = HTTPDate.Cache()

    /// What `allprop` returns besides the dead properties (RFC 4918 §9.1: the DAV live properties).
    static func allPropertyNames(isDirectory: Bool) -> [XMLName] {
        LiveProperty.allProperties.filter { !isDirectory || ($0 != .contentLength && $0 != .contentType) }.map(\.name)
    }

    static let supportedLocks: StaticString = """
        <d:lockentry><d:lockscope><d:exclusive/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry>\
        <d:lockentry><d:lockscope><d:shared/></d:lockscope><d:locktype><d:write/></d:locktype></d:lockentry>
        """

    /// Writes the value's XML; false when the property does not exist on this resource.
    func write(_ property: LiveProperty, of resource: DAVResource, to buffer: inout ByteBuffer) -> Bool {
        let entry = resource.entry
        switch property {
        case .resourceType: if entry.isDirectory { buffer.writeStaticString("<d:collection/>") }
        case .lastModified: dates.write(seconds: entry.modifiedSeconds, to: &buffer)
        case .creationDate: buffer.writeString(HTTPDate.iso8601(seconds: entry.modifiedSeconds))
        case .etag:
            buffer.writeInteger(UInt8(ascii: "\""))
            if let summary = resource.summary {
                buffer.writeString(summary.etag)
            } else {
                entry.writeFileETag(to: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "\""))
        case .contentLength:
            guard !entry.isDirectory else { return false }
            buffer.writeDecimal(entry.size)
        case .contentType:
            buffer.writeString(entry.isDirectory ? "httpd/unix-directory" : ContentTypes.type(of: entry.name))
        case .displayName: XMLEscaping.write(text: resource.path.isRoot ? owner : entry.name, to: &buffer)
        case .supportedLock: buffer.writeStaticString(Self.supportedLocks)
        case .lockDiscovery: for lock in resource.locks { buffer.writeString(activeLockXML(lock)) }
        case .quotaUsed:
            guard entry.isDirectory else { return false }
            buffer.writeDecimal(resource.summary?.totalSize ?? 0)
        case .quotaAvailable:
            guard entry.isDirectory else { return false }
            buffer.writeString(String(quotaAvailable))
        case .ocID:
            guard let record = resource.record else { return false }
            Self.writeOCID(record.id, instanceID: instanceID, to: &buffer)
        case .ocFileID:
            guard let record = resource.record else { return false }
            buffer.writeDecimal(record.id)
        case .ocPermissions:
            if location.isShared {
                let permissions =
                    entry.isDirectory ? location.permissions : location.permissions.intersection(.allForFiles)
                buffer.writeString(permissions.letters(isDirectory: entry.isDirectory, isShared: true))
            } else {
                buffer.writeStaticString(entry.isDirectory ? "RGDNVCK" : "RGDNVW")
            }
        case .ocSize: buffer.writeDecimal(resource.summary?.totalSize ?? entry.size)
        case .ocChecksums:
            guard !entry.isDirectory, let sums = resource.record?.checksums, sums.isValid(for: entry) else {
                return false
            }
            buffer.writeStaticString("<oc:checksum>")
            buffer.writeString(sums.listing)
            buffer.writeStaticString("</oc:checksum>")
        case .ocShareTypes, .ocDataFingerprint, .ncMountType: break
        case .ocOwnerID, .ocOwnerDisplayName: XMLEscaping.write(text: owner, to: &buffer)
        case .ncHasPreview: buffer.writeStaticString("false")
        }
        return true
    }

    func activeLockXML(_ lock: ActiveLock) -> String {
        "<d:activelock><d:locktype><d:write/></d:locktype><d:lockscope>"
            + (lock.exclusive ? "<d:exclusive/>" : "<d:shared/>") + "</d:lockscope><d:depth>"
            + (lock.infinite ? "infinity" : "0") + "</d:depth>"
            + (lock.ownerXML.isEmpty ? "" : "<d:owner>" + lock.ownerXML + "</d:owner>")
            + "<d:timeout>Second-\(lock.timeoutSeconds)</d:timeout><d:locktoken><d:href>" + lock.token
            + "</d:href></d:locktoken><d:lockroot><d:href>"
            + XMLEscaping.text(location.href(lock.root, isDirectory: false)) + "</d:href></d:lockroot></d:activelock>"
    }

    /// `oc:id`: the file id padded to eight digits, then the instance id (as ownCloud and Nextcloud write it).
    static func ocID(_ id: Int64, instanceID: String) -> String {
        let digits = String(id)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + instanceID
    }

    static func writeOCID(_ id: Int64, instanceID: String, to buffer: inout ByteBuffer) {
        var scale: Int64 = 10_000_000
        while scale > 1 && id < scale {
            buffer.writeInteger(UInt8(ascii: "0"))
            scale /= 10
        }
        buffer.writeDecimal(id)
        buffer.writeString(instanceID)
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

extension ByteBuffer {
    /// A non-negative number in decimal, without making a string first (several per entry of a listing).
    mutating func writeDecimal(_ value: Int64) {
        guard value > 0 else {
            if value == 0 { writeInteger(UInt8(ascii: "0")) } else { writeString(String(value)) }
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[23 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }
}
