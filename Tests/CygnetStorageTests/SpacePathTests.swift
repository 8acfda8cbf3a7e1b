import Testing

@testable import CygnetStorage

@Suite struct SpacePathTests {
    @Test func decodesSegmentsAndEncodesThemBack() throws {
        let path = try SpacePath(encoded: "/a%20b/c%23d/%C3%A9t%C3%A9.txt")
        #expect(path.segments == ["a b", "c#d", "été.txt"])
        #expect(path.encoded(isDirectory: false) == "a%20b/c%23d/%C3%A9t%C3%A9.txt")
        #expect(path.parent?.description == "a b/c#d")
    }

    @Test(arguments: ["/a/../b", "/./a", "/a%2Fb", "/a%00b", "/a%2", "/%ZZ"])
    func refusesPathsThatCouldEscape(_ raw: String) {
        #expect(throws: StorageError.self) { try SpacePath(encoded: Substring(raw)) }
    }

    @Test func collapsesRepeatedSlashes() throws {
        #expect(try SpacePath(encoded: "//a///b/").segments == ["a", "b"])
        #expect(try SpacePath(encoded: "/").isRoot)
    }

    @Test func knowsWhatLiesWithin() throws {
        let folder = try SpacePath(plain: "a/b")
        #expect(try SpacePath(plain: "a/b/c").isWithin(folder))
        #expect(!(try SpacePath(plain: "a/bc").isWithin(folder)))
    }
}

@Suite struct DAVTargetTests {
    @Test func readsEveryRoot() throws {
        let legacy = try #require(try DAVTarget(rawPath: "/remote.php/webdav/x/y.txt"))
        #expect(legacy.tree == .files(owner: nil) && legacy.path.description == "x/y.txt")
        let files = try #require(try DAVTarget(rawPath: "/remote.php/dav/files/alice/x/"))
        #expect(files.tree == .files(owner: "alice") && files.hrefBase == "/remote.php/dav/files/alice/")
        let shares = try #require(try DAVTarget(rawPath: "/remote.php/dav/shares/bob/proj/a.txt"))
        #expect(shares.tree == .shares(recipient: "bob") && shares.path.segments == ["proj", "a.txt"])
        let link = try #require(try DAVTarget(rawPath: "/public.php/webdav/a.txt"))
        #expect(link.tree == .publicLink(token: nil))
        #expect(try DAVTarget(rawPath: "/public.php/dav/files/T0k3n/")?.tree == .publicLink(token: "T0k3n"))
        #expect(try DAVTarget(rawPath: "/remote.php/elsewhere") == nil)
    }

    @Test func destinationsMayBeURLsOrPaths() throws {
        let url = try DAVTarget.destination("http://host:8000/remote.php/dav/files/alice/b%20c")
        #expect(url.path.description == "b c")
        let path = try DAVTarget.destination("/remote.php/webdav/d")
        #expect(path.path.description == "d")
        #expect(throws: StorageError.self) { try DAVTarget.destination("http://other/elsewhere") }
    }
}
