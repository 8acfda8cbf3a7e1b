import Glibc
import NIOCore

/// RFC 1123 dates (`Tue, 01 Dec 2026 10:00:00 GMT`) for `getlastmodified` and `Last-Modified`, written by hand:
/// a listing formats one per file, and Foundation's formatters cost more than the rest of the entry.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return days[Int(parts.tm_wday)] + ", " + twoDigits(parts.tm_mday) + " " + months[Int(parts.tm_mon)] + " "
            + String(parts.tm_year + 1900) + " " + twoDigits(parts.tm_hour) + ":" + twoDigits(parts.tm_min) + ":"
            + twoDigits(parts.tm_sec) + " GMT"
    }

    private static let dayBytes = days.map { Array($0.utf8) }
    private static let monthBytes = months.map { Array($0.utf8) }

    /// The same, written into a buffer without intermediate strings (one per file in a listing).
    static func write(seconds: Int64, to buffer: inout ByteBuffer) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                buffer.writeInteger(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        buffer.writeBytes(dayBytes[Int(parts.tm_wday)])
        buffer.writeStaticString(", ")
        digits(parts.tm_mday, 2)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeBytes(monthBytes[Int(parts.tm_mon)])
        buffer.writeInteger(UInt8(ascii: " "))
        digits(parts.tm_year + 1900, 4)
        buffer.writeInteger(UInt8(ascii: " "))
        digits(parts.tm_hour, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        buffer.writeStaticString(" GMT")
    }

    /// Remembers the last date written, for one listing (not shared between requests).
    final class Cache {
        private var seconds: Int64 = .min
        private var bytes: ByteBuffer = ByteBuffer()

        func write(seconds: Int64, to buffer: inout ByteBuffer) {
            if seconds != self.seconds {
                bytes.clear()
                HTTPDate.write(seconds: seconds, to: &bytes)
                self.seconds = seconds
            }
            buffer.writeImmutableBuffer(bytes)
        }
    }

    /// ISO 8601 in UTC, for `creationdate`.
    static func iso8601(seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(parts.tm_year + 1900) + "-" + twoDigits(parts.tm_mon + 1) + "-" + twoDigits(parts.tm_mday) + "T"
            + twoDigits(parts.tm_hour) + ":" + twoDigits(parts.tm_min) + ":" + twoDigits(parts.tm_sec) + "Z"
    }

    /// Parses the RFC 1123 form (the only one clients send today); nil for anything else.
    static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let day = Int32(parts[1]), let month = months.firstIndex(of: String(parts[2])),
            let year = Int32(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        var value = tm()
        value.tm_year = year - 1900
        value.tm_mon = Int32(month)
        value.tm_mday = day
        value.tm_hour = clock[0]
        value.tm_min = clock[1]
        value.tm_sec = clock[2]
        return Int64(timegm(&value))
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0" + String(value) : String(value)
    }
}
