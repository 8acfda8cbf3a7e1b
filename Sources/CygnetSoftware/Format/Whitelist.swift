public import Foundation

/// `.cvmfswhitelist`: which repository certificates the master key vouches for, and until when.
public struct Whitelist: Sendable, Equatable {
    public var createdAt: Date
    public var expiresAt: Date
    public var repositoryName: String
    /// Certificate fingerprints: hash of the certificate's DER, upper hex, colon separated.
    public var fingerprints: [String]

    public init(createdAt: Date, expiresAt: Date, repositoryName: String, fingerprints: [String]) {
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.repositoryName = repositoryName
        self.fingerprints = fingerprints
    }

    /// The fingerprint line of a certificate, as the whitelist lists it.
    public static func fingerprint(certificateDER: [UInt8], algorithm: HashAlgorithm = .sha1) -> String {
        let digest = ContentHash.of(certificateDER, algorithm: algorithm).digest
        return digest.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: ":")
            + algorithm.fingerprintSuffix
    }

    public var body: String {
        var lines = [Self.timestamp(createdAt), "E" + Self.timestamp(expiresAt), "N" + repositoryName]
        lines += fingerprints
        return lines.joined(separator: "\n") + "\n"
    }

    public init(body: String) throws {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3, lines[0].count == 14, let created = Self.date(lines[0]) else {
            throw SoftwareError(.corrupt, "the whitelist does not start with a creation time (YYYYMMDDhhmmss)")
        }
        guard lines[1].count == 15, lines[1].first == "E", let expires = Self.date(String(lines[1].dropFirst()))
        else {
            throw SoftwareError(.corrupt, "the whitelist's second line is not an expiry time (EYYYYMMDDhhmmss)")
        }
        guard lines[2].first == "N" else { throw SoftwareError(.corrupt, "the whitelist names no repository") }
        createdAt = created
        expiresAt = expires
        repositoryName = String(lines[2].dropFirst())
        fingerprints = lines.dropFirst(3).compactMap { line in
            let fingerprint = line.prefix { $0 != " " && $0 != "\t" && $0 != "#" }
            return fingerprint.contains(":") ? String(fingerprint) : nil
        }
    }

    /// Expiry is checked to the hour, in UTC, as the reference client does (minutes and seconds are ignored).
    public func isExpired(at now: Date) -> Bool {
        let expiryHour = (expiresAt.timeIntervalSince1970 / 3600).rounded(.down) * 3600
        return now.timeIntervalSince1970 > expiryHour
    }

    static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970)
        let days = seconds.floorDivided(by: 86400)
        let remainder = seconds - days * 86400
        let (year, month, day) = CivilDate.fromDays(days)
        return String(
            format: "%04d%02d%02d%02d%02d%02d", year, month, day, remainder / 3600, remainder / 60 % 60,
            remainder % 60)
    }

    static func date(_ text: String) -> Date? {
        guard text.count == 14, text.allSatisfy(\.isASCII), Int(text) != nil else { return nil }
        let digits = Array(text.utf8).map { Int($0) - 48 }
        func number(_ from: Int, _ count: Int) -> Int { digits[from..<from + count].reduce(0) { $0 * 10 + $1 } }
        let (year, month, day) = (number(0, 4), number(4, 2), number(6, 2))
        let (hour, minute, second) = (number(8, 2), number(10, 2), number(12, 2))
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = CivilDate.toDays(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86400 + hour * 3600 + minute * 60 + second))
    }
}

/// Days since 1970-01-01 and back, for UTC timestamps without a calendar object (Howard Hinnant's algorithm).
enum CivilDate {
    static func toDays(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func fromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = z.floorDivided(by: 146097)
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
