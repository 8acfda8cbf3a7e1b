/// The properties the server computes, resolved from their XML names once per request: a listing then switches on
/// a small enum for each property of each file instead of comparing namespace and name strings.
enum LiveProperty: CaseIterable, Sendable {
    case resourceType, lastModified, creationDate, etag, contentLength, contentType, displayName
    case supportedLock, lockDiscovery, quotaUsed, quotaAvailable
    case ocID, ocFileID, ocPermissions, ocSize, ocChecksums, ocShareTypes, ocDataFingerprint
    case ocOwnerID, ocOwnerDisplayName, ncHasPreview, ncMountType

    var name: XMLName {
        switch self {
        case .resourceType: .dav("resourcetype")
        case .lastModified: .dav("getlastmodified")
        case .creationDate: .dav("creationdate")
        case .etag: .dav("getetag")
        case .contentLength: .dav("getcontentlength")
        case .contentType: .dav("getcontenttype")
        case .displayName: .dav("displayname")
        case .supportedLock: .dav("supportedlock")
        case .lockDiscovery: .dav("lockdiscovery")
        case .quotaUsed: .dav("quota-used-bytes")
        case .quotaAvailable: .dav("quota-available-bytes")
        case .ocID: .owncloud("id")
        case .ocFileID: .owncloud("fileid")
        case .ocPermissions: .owncloud("permissions")
        case .ocSize: .owncloud("size")
        case .ocChecksums: .owncloud("checksums")
        case .ocShareTypes: .owncloud("share-types")
        case .ocDataFingerprint: .owncloud("data-fingerprint")
        case .ocOwnerID: .owncloud("owner-id")
        case .ocOwnerDisplayName: .owncloud("owner-display-name")
        case .ncHasPreview: .nextcloud("has-preview")
        case .ncMountType: .nextcloud("mount-type")
        }
    }

    static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    init?(_ name: XMLName) {
        guard let property = Self.byName[name] else { return nil }
        self = property
    }

    /// Needs the file index (ids and checksums).
    var isIndexed: Bool { self == .ocID || self == .ocFileID || self == .ocChecksums }

    /// What `allprop` returns besides the dead properties (RFC 4918 §9.1: the DAV live properties).
    static let allProperties: [LiveProperty] = [
        .resourceType, .lastModified, .etag, .creationDate, .contentLength, .contentType, .supportedLock,
        .lockDiscovery,
    ]
}
