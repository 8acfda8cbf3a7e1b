import NIOCore

/// The bytes of one property element's tags, made once per request instead of once per file.
/// A class: a listing passes each tag around once per file and property, and copying a struct of five references
/// cost five retains and releases each time (a fifth of a 10,000-file listing's CPU).
final class PropertyTag: Sendable {
    let name: XMLName
    /// Set when the server computes this property.
    let live: LiveProperty?
    let open: [UInt8]
    let close: [UInt8]
    let empty: [UInt8]

    init(_ name: XMLName) {
        self.name = name
        self.live = LiveProperty(name)
        let tag: String
        let declaration: String
        if let prefix = MultistatusWriter.prefixes[name.namespace] {
            tag = prefix + ":" + name.local
            declaration = ""
        } else if name.namespace.isEmpty {
            tag = name.local
            declaration = " xmlns=\"\""
        } else {
            tag = "x:" + name.local
            declaration = " xmlns:x=\"" + XMLEscaping.attribute(name.namespace) + "\""
        }
        open = Array(("<" + tag + declaration + ">").utf8)
        close = Array(("</" + tag + ">").utf8)
        empty = Array(("<" + tag + declaration + "/>").utf8)
    }
}

/// Writes a `207 Multi-Status` body straight into one buffer: a listing of 10,000 files is one pass with no
/// intermediate strings per property.
struct MultistatusWriter {
    private(set) var buffer: ByteBuffer

    static let prefixes = [
        XMLNamespaces.dav: "d", XMLNamespaces.owncloud: "oc", XMLNamespaces.nextcloud: "nc", XMLNamespaces.sabre: "s",
    ]

    init(capacity: Int = 4096) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        Self.writeHeader(to: &buffer)
    }

    /// A writer for responses only, without the document around them: one part of a listing written in parts.
    init(fragmentCapacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: fragmentCapacity)
    }

    static func writeHeader(to buffer: inout ByteBuffer) {
        buffer.writeStaticString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
        buffer.writeStaticString("<d:multistatus xmlns:d=\"DAV:\" xmlns:oc=\"http://owncloud.org/ns\"")
        buffer.writeStaticString(" xmlns:nc=\"http://nextcloud.org/ns\" xmlns:s=\"http://sabredav.org/ns\">")
    }

    static func writeFooter(to buffer: inout ByteBuffer) {
        buffer.writeStaticString("</d:multistatus>")
    }

    /// One resource with values given as XML: found properties in a 200 propstat, then missing ones in a 404 one
    /// (rclone skips an item whose first propstat is not 2xx), then any that failed with their own status.
    mutating func response(
        href: String, found: [(XMLName, String)], missing: [XMLName], failed: [(XMLName, String)] = []
    ) {
        beginResponse(href: href)
        if !found.isEmpty {
            beginPropstat()
            for (name, value) in found {
                let tag = PropertyTag(name)
                if value.isEmpty {
                    buffer.writeBytes(tag.empty)
                } else {
                    buffer.writeBytes(tag.open)
                    buffer.writeString(value)
                    buffer.writeBytes(tag.close)
                }
            }
            endPropstat(status: "200 OK")
        }
        if !missing.isEmpty {
            beginPropstat()
            for name in missing { buffer.writeBytes(PropertyTag(name).empty) }
            endPropstat(status: "404 Not Found")
        }
        for (name, status) in failed {
            beginPropstat()
            buffer.writeBytes(PropertyTag(name).empty)
            endPropstat(status: status)
        }
        endResponse()
    }

    /// A resource that only has a status (a failed member of a COPY, DELETE or PROPPATCH).
    mutating func response(href: String, status: String) {
        beginResponse(href: href)
        buffer.writeStaticString("<d:status>HTTP/1.1 ")
        buffer.writeString(status)
        buffer.writeStaticString("</d:status>")
        endResponse()
    }

    mutating func beginResponse(href: String) {
        buffer.writeStaticString("<d:response><d:href>")
        XMLEscaping.write(text: href, to: &buffer)
        buffer.writeStaticString("</d:href>")
    }

    /// `<d:href>` of a path below a DAV root, percent-encoded without building the string first.
    mutating func beginResponse(hrefBase: String, path: SpacePath, isDirectory: Bool) {
        buffer.writeStaticString("<d:response><d:href>")
        XMLEscaping.write(text: hrefBase, to: &buffer)
        for (index, segment) in path.segments.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "/")) }
            SpacePath.writePercentEncoded(segment, to: &buffer)
        }
        if isDirectory && !path.isRoot { buffer.writeInteger(UInt8(ascii: "/")) }
        buffer.writeStaticString("</d:href>")
    }

    mutating func beginPropstat() {
        buffer.writeStaticString("<d:propstat><d:prop>")
    }

    mutating func endPropstat(status: StaticString) {
        buffer.writeStaticString("</d:prop><d:status>HTTP/1.1 ")
        buffer.writeStaticString(status)
        buffer.writeStaticString("</d:status></d:propstat>")
    }

    mutating func endPropstat(status: String) {
        buffer.writeStaticString("</d:prop><d:status>HTTP/1.1 ")
        buffer.writeString(status)
        buffer.writeStaticString("</d:status></d:propstat>")
    }

    mutating func endResponse() {
        buffer.writeStaticString("</d:response>")
    }

    /// Writes a property with a value written by `value`; when `value` returns false (the resource has no such
    /// property) nothing is left in the buffer and false is returned.
    mutating func property(_ tag: PropertyTag, value: (inout ByteBuffer) -> Bool) -> Bool {
        let mark = buffer.writerIndex
        buffer.writeBytes(tag.open)
        let valueStart = buffer.writerIndex
        guard value(&buffer) else {
            buffer.moveWriterIndex(to: mark)
            return false
        }
        if buffer.writerIndex == valueStart {
            buffer.moveWriterIndex(to: mark)
            buffer.writeBytes(tag.empty)
        } else {
            buffer.writeBytes(tag.close)
        }
        return true
    }

    /// Where the next byte goes; with `rollBack(to:)`, a part written speculatively can be taken back.
    var mark: Int { buffer.writerIndex }

    mutating func rollBack(to mark: Int) {
        buffer.moveWriterIndex(to: mark)
    }

    mutating func emptyProperty(_ tag: PropertyTag) {
        buffer.writeBytes(tag.empty)
    }

    mutating func finish() -> ByteBuffer {
        Self.writeFooter(to: &buffer)
        return buffer
    }
}
