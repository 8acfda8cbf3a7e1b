import Foundation
import Testing

@testable import CygnetSoftware

@Suite("Object cache")
struct ObjectCacheTests {
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appending(path: "object-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func damage(_ path: String) throws {
        var bytes = try Array(Data(contentsOf: URL(filePath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(filePath: path))
    }

    @Test("an object stored with its Adler-32 is read back by another mount, and dropped there once damaged")
    func adler32() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pieces: [[UInt8]] = [Array(repeating: 7, count: 5000), Array((0..<3000).map { UInt8($0 % 251) })]
        let whole = pieces.flatMap { $0 }
        let checksum = whole.withUnsafeBytes { Zlib.adler32($0) }

        let fetching = try ObjectCache(directory: directory, quota: 1 << 30)
        let stored = try fetching.insert("ab12", pieces: pieces, adler32: checksum)
        close(stored)
        #expect(try Array(Data(contentsOf: URL(filePath: fetching.path(of: "ab12")))) == whole)

        let opened = try #require(try ObjectCache(directory: directory, quota: 1 << 30).open("ab12"))
        close(opened)
        try damage(fetching.path(of: "ab12"))
        let later = try ObjectCache(directory: directory, quota: 1 << 30)
        #expect(later.open("ab12") == nil)
        #expect(!FileManager.default.fileExists(atPath: fetching.path(of: "ab12")))
        #expect(try later.usage().dropped == 1)
    }

    @Test("objects a cache recorded with SHA-1 (before Adler-32) are still checked with SHA-1")
    func legacySHA1() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = try ObjectCache(directory: directory, quota: 1 << 30)
        let bytes = Array("an object cached by an older cygnet-software".utf8)
        for key in ["cd34", "ef56"] {
            let path = cache.path(of: key)
            try FileManager.default.createDirectory(
                at: URL(filePath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(filePath: path))
            try CacheIndex(path: directory.appending(path: "index.sqlite").path).add(
                key: key, size: Int64(bytes.count), lastAccess: 0,
                digest: ContentHash.of(bytes, algorithm: .sha1).digest)
        }
        try damage(cache.path(of: "ef56"))

        let opened = try #require(cache.open("cd34"))
        close(opened)
        #expect(cache.open("ef56") == nil)
    }
}
