import Testing

@testable import CygnetStorage

@Suite struct IfHeaderTests {
    @Test func parsesTaggedAndUntaggedLists() throws {
        let header = try IfHeader(parsing: "<http://h/a> (<opaquelocktoken:1> [\"e1\"]) (Not <DAV:no-lock>)")
        #expect(header.lists.count == 2)
        #expect(header.lists[0].resourceTag == "http://h/a")
        #expect(header.lists[1].conditions == [.init(negated: true, kind: .token("DAV:no-lock"))])
        #expect(header.submittedTokens == ["opaquelocktoken:1"])
    }

    @Test func holdsWhenAnyListHolds() throws {
        let header = try IfHeader(parsing: "(<opaquelocktoken:x>) (Not <DAV:no-lock>)")
        #expect(header.holds { _ in (etag: "\"e\"", tokens: []) })
        let strict = try IfHeader(parsing: "(<opaquelocktoken:x> [\"bad\"])")
        #expect(!strict.holds { _ in (etag: "\"e\"", tokens: ["opaquelocktoken:x"]) })
        #expect(strict.holds { _ in (etag: "\"bad\"", tokens: ["opaquelocktoken:x"]) })
    }

    @Test(arguments: ["", "(", "(<a>", "([x", "garbage"])
    func refusesMalformedHeaders(_ text: String) {
        #expect(throws: StorageError.self) { try IfHeader(parsing: text) }
    }
}

@Suite struct XMLTreeTests {
    @Test func parsesNamespacesAndIgnoresLayoutText() throws {
        let body = Array(
            """
            <?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">M
            <d:prop><d:getetag/><oc:fileid/><id xmlns="http://owncloud.org/ns"/></d:prop></d:propfind>
            """.utf8)
        let request = try PropfindRequest(body: body)
        #expect(request == .properties([.dav("getetag"), .owncloud("fileid"), .owncloud("id")]))
    }

    @Test func refusesEntitiesAndBrokenXML() {
        let bomb = Array("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>".utf8)
        #expect(throws: StorageError.self) { try XMLTree.parse(bomb) }
        #expect(throws: StorageError.self) { try XMLTree.parse(Array("<d:propfind xmlns:d=\"DAV:\">".utf8)) }
    }

    @Test func deadPropertyValuesKeepTheirNamespaces() throws {
        let body = Array(
            """
            <D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:Z="urn:z"><Z:b>x &amp; y</Z:b></Z:a>
            </D:prop></D:set></D:propertyupdate>
            """.utf8)
        let update = try ProppatchRequest(body: body)
        guard case .set(let property) = update.changes.first else {
            Issue.record("expected a set")
            return
        }
        #expect(property.name == XMLName(namespace: "urn:z", local: "a"))
        #expect(property.valueXML == "<x0:b xmlns:x0=\"urn:z\">x &amp; y</x0:b>")
    }
}
