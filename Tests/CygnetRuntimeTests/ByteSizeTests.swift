import CygnetRuntime
import Testing

@Suite struct ByteSizeTests {
    @Test func readsSizesAsPeopleWriteThem() {
        #expect(ByteSize.parse("500MB") == .some(500_000_000))
        #expect(ByteSize.parse("2 GiB") == .some(2 * 1_073_741_824))
        #expect(ByteSize.parse("1.5G") == .some(Int64(1.5 * 1_073_741_824)))
        #expect(ByteSize.parse("1048576") == .some(1_048_576))
        #expect(ByteSize.parse("none") == .some(nil))
        #expect(ByteSize.parse("lots") == nil)
        #expect(ByteSize.parse("-1GB") == nil)
    }

    @Test func describesSizesForPeople() {
        #expect(ByteSize.describe(999) == "999 B")
        #expect(ByteSize.describe(3_000_000) == "3 MB")
        #expect(ByteSize.describe(1_500_000_000) == "1.5 GB")
    }
}
