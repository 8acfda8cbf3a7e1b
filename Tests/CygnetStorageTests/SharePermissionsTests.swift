import Testing

@testable import CygnetStorage

@Suite struct SharePermissionsTests {
    @Test func lettersFollowTheOwnCloudOrder() {
        #expect(SharePermissions.read.letters(isDirectory: true, isShared: true) == "SG")
        #expect(SharePermissions.all.letters(isDirectory: true, isShared: true) == "SRGDNVCK")
        #expect(SharePermissions([.read, .update]).letters(isDirectory: false, isShared: true) == "SGW")
    }

    /// Each client names chunks its own way (index, byte offset, byte range); never alphabetically.
    @Test(arguments: [
        ["1", "2", "10"], ["0000000000000000", "0000000010000000", "0000000030000000"],
        ["000000000000000-000000010485759", "000000010485760-000000020971519"],
    ])
    func chunksAreJoinedInNumericOrder(_ names: [String]) {
        let sorted = names.reversed().sorted { ChunkedUploadArea.order(of: $0) < ChunkedUploadArea.order(of: $1) }
        #expect(sorted == names)
    }

    @Test(arguments: ["", ".", "..", "a/b", "a b", String(repeating: "x", count: 201)])
    func uploadNamesCannotNameAnotherPlace(_ name: String) {
        #expect(throws: StorageError.self) { try ChunkedUploadArea.checkName(name, what: "A name") }
    }

    @Test func expectedChecksumsAreParsedAndChecked() throws {
        let expected = try #require(try ExpectedChecksum(header: "SHA1:AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D"))
        let sums = Checksums(
            sha1: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", md5: nil, adler32: nil, modified: 0, size: 5)
        #expect(expected.matches(sums))
        #expect(try ExpectedChecksum(header: "CRC32:1234") == nil)
        #expect(throws: StorageError.self) { try ExpectedChecksum(header: "SHA1:not-hex") }
    }
}
