import Foundation
import Testing

@testable import CygnetSoftware

@Suite("Repository format")
struct FormatTests {
    @Test("path keys are the MD5 halves read as little-endian signed integers")
    func pathKeys() {
        let root = PathKey(path: [UInt8]())
        #expect(root.high == 338_333_539_836_370_388)
        #expect(root.low == 9_098_107_892_288_553_193)
        #expect(PathKey(path: Array("/a".utf8)) != PathKey(path: Array("/b".utf8)))
    }

    @Test("object names carry the algorithm and the kind")
    func objectNames() throws {
        let sha1 = ContentHash.of(Array("abc".utf8), algorithm: .sha1)
        #expect(sha1.description == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(sha1.objectPath(.catalog) == "data/a9/993e364706816aba3e25717850c26c9cd0d89dC")
        let shake = ContentHash.of(Array("abc".utf8), algorithm: .shake128)
        #expect(shake.description == "5881092dd818bf5cf8a3ddb793fbcba74097d5c5-shake128")
        #expect(ContentHash(shake.description) == shake)
        #expect(ContentHash("not a hash") == nil)
        #expect(ContentHash(String(repeating: "0", count: 40) + "-md4") == nil)
    }

    @Test("zlib round trip, and truncated or trailing data is refused")
    func zlib() throws {
        let input = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let compressed = Zlib.compress(input)
        #expect(compressed.prefix(2) == [0x78, 0x01])
        #expect(try Zlib.decompress(compressed) == input)
        #expect(throws: SoftwareError.self) { try Zlib.decompress(Array(compressed.dropLast(10))) }
        #expect(throws: SoftwareError.self) { try Zlib.decompress(compressed + [1, 2, 3]) }
        #expect(throws: SoftwareError.self) { try Zlib.decompress(Array("plain text".utf8)) }
        #expect(throws: SoftwareError.self) { try Zlib.decompress(compressed, limit: 1000) }
    }

    @Test("with the plain size known (libdeflate) the same bytes come out, and the same damage is refused")
    func zlibWithKnownSize() throws {
        let input = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 13 / 5) })
        let compressed = Zlib.compress(input)
        #expect(try Zlib.decompress(compressed, expectedSize: input.count) == input)
        // A catalog that gives the wrong size changes nothing: zlib inflates it again.
        #expect(try Zlib.decompress(compressed, expectedSize: input.count - 1) == input)
        #expect(try Zlib.decompress(compressed, expectedSize: input.count + 1) == input)
        #expect(throws: SoftwareError.self) {
            try Zlib.decompress(Array(compressed.dropLast(10)), expectedSize: input.count)
        }
        #expect(throws: SoftwareError.self) { try Zlib.decompress(compressed + [1, 2, 3], expectedSize: input.count) }
        var flipped = compressed
        flipped[flipped.count / 2] ^= 0x40
        #expect(throws: SoftwareError.self) { try Zlib.decompress(flipped, expectedSize: input.count) }
        #expect(throws: SoftwareError.self) { try Zlib.decompress(compressed, limit: 1000, expectedSize: 1000) }
    }

    @Test("the Adler-32 of the plain bytes is read from the trailer, summed, and combined across pieces")
    func adler32() throws {
        let input = Array((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 3) })
        let whole = input.withUnsafeBytes { Zlib.adler32($0) }
        #expect(Array("Wikipedia".utf8).withUnsafeBytes { Zlib.adler32($0) } == 0x11E6_0398)
        #expect(Zlib.plainChecksum(ofInflated: Zlib.compress(input)) == whole)
        let first = input[..<12_345].withUnsafeBytes { Zlib.adler32($0) }
        let second = input[12_345...].withUnsafeBytes { Zlib.adler32($0) }
        #expect(Zlib.adler32(combining: first, second, secondLength: input.count - 12_345) == whole)
        #expect(input[12_345...].withUnsafeBytes { Zlib.adler32($0, continuing: first) } == whole)
    }

    @Test("manifest text survives a round trip and refuses a foreign root path")
    func manifest() throws {
        let hash = ContentHash.of([1, 2, 3], algorithm: .sha1)
        let manifest = Manifest(
            rootCatalog: hash, rootCatalogSize: 4096, timeToLive: 240, revision: 7, repositoryName: "a.b",
            certificate: hash, history: hash, publishedAt: 1_700_000_000)
        #expect(try Manifest(body: manifest.body) == manifest)
        #expect(manifest.body.hasPrefix("C\(hash)\nB4096\nRd41d8cd98f00b204e9800998ecf8427e\nD240\nS7\n"))
        let foreign = manifest.body.replacingOccurrences(of: "Rd41d8cd98f00b204e9800998ecf8427e", with: "R00")
        #expect(throws: SoftwareError.self) { try Manifest(body: foreign) }
    }

    @Test("whitelist times are UTC and expiry is checked to the hour")
    func whitelistTimes() throws {
        let date = try #require(Whitelist.date("20261225235254"))
        #expect(Whitelist.timestamp(date) == "20261225235254")
        let whitelist = Whitelist(createdAt: date, expiresAt: date, repositoryName: "x", fingerprints: [])
        #expect(!whitelist.isExpired(at: date.addingTimeInterval(-3600)))
        #expect(whitelist.isExpired(at: date.addingTimeInterval(60)))
        #expect(Whitelist.date("20261325000000") == nil)
    }

    @Test("extended attributes are sorted and length-limited")
    func extendedAttributes() throws {
        let attributes = try ExtendedAttributes([(Array("user.b".utf8), [2]), (Array("user.a".utf8), [1])])
        #expect(attributes.attributes.first?.name == Array("user.a".utf8))
        #expect(try ExtendedAttributes(blob: attributes.blob) == attributes)
        #expect(throws: SoftwareError.self) {
            try ExtendedAttributes([(Array("user.long".utf8), [UInt8](repeating: 0, count: 300))])
        }
        #expect(throws: SoftwareError.self) { try ExtendedAttributes(blob: [2, 0]) }
    }

    @Test("chunk cuts depend on content, respect the bounds and are stable")
    func chunking() {
        // 20 MiB of xorshift noise: past the 16 MiB hard limit, so there is at least one cut.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: 20 << 20)
        bytes.withUnsafeMutableBytes { raw in
            for index in stride(from: 0, to: raw.count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: index, as: UInt64.self)
            }
        }
        func cuts(blockSize: Int) -> [Int] {
            var chunker = ContentChunker()
            var found: [Int] = []
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let end = min(buffer.count, offset + blockSize)
                    found += chunker.cuts(in: UnsafeRawBufferPointer(rebasing: buffer[offset..<end]), at: offset)
                    offset = end
                }
            }
            return found
        }
        let whole = cuts(blockSize: 1 << 20)
        #expect(whole == cuts(blockSize: 65_537), "cut points do not depend on how the file is read")
        var previous = 0
        for cut in whole {
            #expect(cut - previous >= ContentChunker.minimumSize && cut - previous <= ContentChunker.maximumSize)
            previous = cut
        }
        #expect(!whole.isEmpty)
    }
}
