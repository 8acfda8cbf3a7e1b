import NIOCore
import Testing

@testable import CygnetStorage

@Suite struct ListingWritingTests {
    @Test(arguments: [Int64(0), 7, 10, 1_234_567_890_123, Int64.max])
    func decimalsAreWrittenWithoutStrings(_ value: Int64) {
        var buffer = ByteBuffer()
        buffer.writeDecimal(value)
        #expect(String(buffer: buffer) == String(value))
    }

    @Test func ocIDsArePaddedToEightDigits() {
        for id: Int64 in [0, 157, 12_345_678, 123_456_789] {
            var buffer = ByteBuffer()
            LiveProperties.writeOCID(id, instanceID: "ocabc", to: &buffer)
            #expect(String(buffer: buffer) == LiveProperties.ocID(id, instanceID: "ocabc"))
        }
        #expect(LiveProperties.ocID(157, instanceID: "ocabc") == "00000157ocabc")
    }

    @Test func datesWrittenInPlaceMatchTheFormatter() {
        for seconds: Int64 in [0, 1_700_000_000, 1_796_616_153] {
            var buffer = ByteBuffer()
            HTTPDate.write(seconds: seconds, to: &buffer)
            #expect(String(buffer: buffer) == HTTPDate.format(seconds: seconds))
            #expect(HTTPDate.parse(HTTPDate.format(seconds: seconds)) == seconds)
        }
        #expect(HTTPDate.format(seconds: 1_700_000_000) == "Tue, 14 Nov 2023 22:13:20 GMT")
    }

    @Test func multistatusHrefsArePercentEncoded() throws {
        var writer = MultistatusWriter()
        writer.beginResponse(
            hrefBase: "/remote.php/dav/files/alice/", path: try SpacePath(plain: "a b/é#1"), isDirectory: true)
        writer.endResponse()
        let text = String(buffer: writer.finish())
        #expect(text.contains("<d:href>/remote.php/dav/files/alice/a%20b/%C3%A9%231/</d:href>"))
    }
}
