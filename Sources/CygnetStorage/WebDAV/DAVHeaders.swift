import HTTPTypes

/// Header fields of WebDAV (RFC 4918 §10) and of the ownCloud/Nextcloud sync protocol.
extension HTTPField.Name {
    static let dav = Self("DAV")!
    static let depth = Self("Depth")!
    static let destination = Self("Destination")!
    static let overwrite = Self("Overwrite")!
    static let timeout = Self("Timeout")!
    static let davIf = Self("If")!
    static let lockToken = Self("Lock-Token")!
    static let msAuthorVia = Self("MS-Author-Via")!
    static let ocChecksum = Self("OC-Checksum")!
    static let ocTotalLength = Self("OC-Total-Length")!
    static let ocETag = Self("OC-ETag")!
    static let ocFileID = Self("OC-FileId")!
    /// `X-OC-Mtime` on requests, `X-OC-MTime: accepted` on replies (field names are case-insensitive).
    static let ocModifiedTime = Self("X-OC-Mtime")!
}
