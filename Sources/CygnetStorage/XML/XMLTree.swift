import Foundation
import NIOCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element name with its namespace URI.
public struct XMLName: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var local: String

    public init(namespace: String, local: String) {
        self.namespace = namespace
        self.local = local
    }

    public static func dav(_ local: String) -> XMLName { XMLName(namespace: "DAV:", local: local) }
    public static func owncloud(_ local: String) -> XMLName { XMLName(namespace: XMLNamespaces.owncloud, local: local) }
    public static func nextcloud(_ local: String) -> XMLName {
        XMLName(namespace: XMLNamespaces.nextcloud, local: local)
    }

    public var description: String { "{\(namespace)}\(local)" }
}

public enum XMLNamespaces {
    public static let dav = "DAV:"
    public static let owncloud = "http://owncloud.org/ns"
    public static let nextcloud = "http://nextcloud.org/ns"
    public static let sabre = "http://sabredav.org/ns"
}

/// A parsed request body: elements with resolved namespaces, their attributes and text.
public struct XMLTree: Sendable, Equatable {
    public var name: XMLName
    public var attributes: [String: String] = [:]
    public var children: [XMLTree] = []
    public var text = ""

    public func child(_ name: XMLName) -> XMLTree? { children.first { $0.name == name } }
    public func children(_ name: XMLName) -> [XMLTree] { children.filter { $0.name == name } }

    /// Parses a request body. Document type declarations are refused outright: WebDAV bodies never need them, and
    /// entities are how XML bombs and external-entity reads get in.
    public static func parse(_ data: [UInt8]) throws(StorageError) -> XMLTree {
        if data.count > 8,
            data.containsSubsequence(Array("<!DOCTYPE".utf8)) || data.containsSubsequence(Array("<!ENTITY".utf8))
        {
            throw StorageError(.badRequest, "XML bodies with a DOCTYPE or entities are not accepted")
        }
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw StorageError(
                .badRequest,
                "The request body is not well-formed XML (stopped at line \(parser.lineNumber), column \(parser.columnNumber))"
            )
        }
        return root
    }

    /// Writes the element's content (text and child elements) back as XML, declaring each namespace where it is
    /// used, so the fragment stands on its own wherever it is placed.
    public var innerXML: String {
        var output = XMLEscaping.text(text)
        for child in children { child.write(to: &output, depth: 0) }
        return output
    }

    private func write(to output: inout String, depth: Int) {
        let prefix = "x\(depth)"
        let tag = name.namespace.isEmpty ? name.local : "\(prefix):\(name.local)"
        output += "<" + tag
        output +=
            name.namespace.isEmpty ? " xmlns=\"\"" : " xmlns:\(prefix)=\"\(XMLEscaping.attribute(name.namespace))\""
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) where !key.contains(":") {
            output += " \(key)=\"\(XMLEscaping.attribute(value))\""
        }
        if text.isEmpty && children.isEmpty {
            output += "/>"
            return
        }
        output += ">" + XMLEscaping.text(text)
        for child in children { child.write(to: &output, depth: depth + 1) }
        output += "</\(tag)>"
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLTree] = []
    var root: XMLTree?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        // A prefix bound to nothing (`xmlns:bar=""`) is not well-formed under XML Namespaces; libxml2 only warns.
        if let qualifiedName, qualifiedName.contains(":"), namespaceURI?.isEmpty ?? true {
            parser.abortParsing()
            return
        }
        stack.append(XMLTree(name: XMLName(namespace: namespaceURI ?? "", local: elementName), attributes: attributes))
        if stack.count > 64 { parser.abortParsing() }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard var element = stack.popLast() else { return }
        // Text beside child elements is layout (owncloudcmd even sends a stray "M" inside <propfind>).
        if !element.children.isEmpty { element.text = "" }
        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
    }
}

enum XMLEscaping {
    /// Writes text with `<`, `>` and `&` escaped (and `"` when `attribute`), byte by byte into a buffer.
    static func write(text value: String, to buffer: inout ByteBuffer) {
        var utf8 = value.utf8
        let needsEscaping = utf8.contains {
            $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ">")
        }
        guard needsEscaping else {
            buffer.writeString(value)
            return
        }
        utf8 = value.utf8
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "<"): buffer.writeStaticString("&lt;")
            case UInt8(ascii: ">"): buffer.writeStaticString("&gt;")
            case UInt8(ascii: "&"): buffer.writeStaticString("&amp;")
            default: buffer.writeInteger(byte)
            }
        }
    }

    static func text(_ value: String) -> String {
        guard
            value.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ">") }
            )
        else { return value }
        return value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func attribute(_ value: String) -> String {
        text(value).replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count, let first = needle.first else { return false }
        var index = 0
        while index <= count - needle.count {
            if self[index] == first && self[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
