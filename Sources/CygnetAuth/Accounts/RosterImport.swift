import CygnetRuntime

/// Reads a class roster (a CSV file exported from a spreadsheet) into accounts, checking every row before anything
/// is stored, so a teacher gets the full list of mistakes at once and an import is all or nothing.
///
/// The header names the columns, in any order: `username` (required), `name`, `email`, `groups` (separated by `;`),
/// `password` (empty: one is generated). Problems carry the physical line number a spreadsheet or editor shows.
public enum RosterImport {
    public static let columns = ["username", "name", "email", "groups", "password"]

    /// One account to create, with the line it came from.
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var account: NewAccount
        /// True when the file left the password empty and `parse` generated one, to be handed to the person.
        public var passwordWasGenerated: Bool
    }

    /// A mistake in the file, phrased for the person who edits it.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        public var description: String { "line \(line): \(reason)" }
    }

    /// Either every row is good, or the problems (at most one per line) and nothing to import.
    public enum Outcome: Sendable, Equatable {
        case rows([Row])
        case problems([Problem])
    }

    /// Parses and checks `text`. `existingUsernames` are the accounts already in Cygnet; `generatePassword`
    /// fills empty passwords (a parameter so tests get predictable ones).
    public static func parse(
        _ text: String, existingUsernames: Set<String> = [],
        generatePassword: () -> String = AccountService.generatePassword
    ) -> Outcome {
        let records: [CSVRecord]
        do {
            records = try CSVRecord.parse(text)
        } catch {
            return .problems([error])
        }
        guard let header = records.first else {
            return .problems([
                Problem(
                    line: 1,
                    reason:
                        "the file is empty; the first line must name the columns, such as username,name,email,groups,password"
                )
            ])
        }
        let layout: ColumnLayout
        do {
            layout = try ColumnLayout(header: header)
        } catch {
            return .problems([error])
        }
        var rows: [Row] = []
        var problems: [Problem] = []
        var firstLineOfUsername: [String: Int] = [:]
        for record in records.dropFirst() {
            let reasons = layout.check(record, existingUsernames: existingUsernames, seen: firstLineOfUsername)
            if reasons.isEmpty {
                let row = layout.row(from: record, generatePassword: generatePassword)
                rows.append(row)
            } else {
                problems.append(Problem(line: record.line, reason: reasons.joined(separator: "; ")))
            }
            let username = layout.value(.username, in: record)
            if !username.isEmpty, firstLineOfUsername[username] == nil { firstLineOfUsername[username] = record.line }
        }
        return problems.isEmpty ? .rows(rows) : .problems(problems)
    }
}

extension RosterImport {
    enum Column: String, CaseIterable {
        case username, name, email, groups, password
    }

    /// Which field of a record holds which column, read from the header.
    struct ColumnLayout {
        var index: [Column: Int] = [:]
        var count: Int

        init(header: CSVRecord) throws(Problem) {
            count = header.fields.count
            for (position, rawName) in header.fields.enumerated() {
                let name = rawName.trimmingWhitespace().lowercased()
                guard let column = Column(rawValue: name) else {
                    throw Problem(
                        line: header.line,
                        reason: "the column '\(rawName)' is not one Cygnet knows; "
                            + "use only \(RosterImport.columns.joined(separator: ", ")) (in any order)")
                }
                guard index[column] == nil else {
                    throw Problem(line: header.line, reason: "the column '\(name)' appears twice in the header")
                }
                index[column] = position
            }
            guard index[.username] != nil else {
                throw Problem(
                    line: header.line,
                    reason:
                        "the header has no 'username' column; the first line must name the columns, such as username,name,email,groups,password"
                )
            }
        }

        /// The field's text; trimmed except for passwords, where spaces may be intended.
        func value(_ column: Column, in record: CSVRecord) -> String {
            guard let position = index[column], position < record.fields.count else { return "" }
            let text = record.fields[position]
            return column == .password ? text : text.trimmingWhitespace()
        }

        func groups(in record: CSVRecord) -> [String] {
            value(.groups, in: record).split(separator: ";").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        }

        /// Every reason the record cannot be imported (empty when it can).
        func check(_ record: CSVRecord, existingUsernames: Set<String>, seen: [String: Int]) -> [String] {
            guard record.fields.count == count else {
                return [
                    "this row has \(record.fields.count) fields but the header has \(count) columns "
                        + "(look for a missing or extra comma, or a name with a comma that needs quotes)"
                ]
            }
            var reasons: [String] = []
            func collect(_ check: () throws(AuthError) -> Void) {
                do { try check() } catch { reasons.append(error.message) }
            }
            let username = value(.username, in: record)
            collect { () throws(AuthError) in try AccountValidation.checkUsername(username) }
            if let earlier = seen[username] {
                reasons.append("the username '\(username)' already appears on line \(earlier)")
            } else if existingUsernames.contains(username) {
                reasons.append("the username '\(username)' already exists in Cygnet")
            }
            collect { () throws(AuthError) in try AccountValidation.checkDisplayName(value(.name, in: record)) }
            collect { () throws(AuthError) in try AccountValidation.checkEmail(value(.email, in: record)) }
            for group in groups(in: record) {
                collect { () throws(AuthError) in try AccountValidation.checkGroupName(group) }
            }
            let password = value(.password, in: record)
            if !password.isEmpty {
                collect { () throws(AuthError) in try AccountValidation.checkPassword(password) }
            }
            return reasons
        }

        func row(from record: CSVRecord, generatePassword: () -> String) -> Row {
            let given = value(.password, in: record)
            let account = NewAccount(
                username: value(.username, in: record), displayName: value(.name, in: record),
                email: value(.email, in: record), password: given.isEmpty ? generatePassword() : given,
                groups: groups(in: record))
            return Row(line: record.line, account: account, passwordWasGenerated: given.isEmpty)
        }
    }
}

/// One record of an RFC 4180 CSV file and the physical line it starts on.
///
/// Hand-written rather than taken from a CSV package: the ones available to us report neither the line a record
/// starts on nor where an unterminated quote began, and a teacher needs "line 14" to find the mistake, also when a
/// quoted field spans lines. Accepts LF, CRLF and lone CR line ends, and a UTF-8 byte order mark (Excel writes one).
struct CSVRecord: Equatable {
    var line: Int
    var fields: [String]

    /// The non-blank records of `text`; a record whose fields are all empty (`,,,`) counts as blank.
    static func parse(_ text: String) throws(RosterImport.Problem) -> [CSVRecord] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var parser = Parser(scalars: scalars)
        var records: [CSVRecord] = []
        while let record = try parser.nextRecord() {
            if record.fields.contains(where: { !$0.trimmingWhitespace().isEmpty }) { records.append(record) }
        }
        return records
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        mutating func nextRecord() throws(RosterImport.Problem) -> CSVRecord? {
            guard position < scalars.count else { return nil }
            let startLine = line
            var fields: [String] = []
            while true {
                fields.append(try nextField())
                guard position < scalars.count else { break }
                if scalars[position] == "," {
                    position += 1
                    continue
                }
                consumeLineEnd()
                break
            }
            return CSVRecord(line: startLine, fields: fields)
        }

        /// Reads one field and stops before the `,` or line end that follows it.
        mutating func nextField() throws(RosterImport.Problem) -> String {
            guard position < scalars.count, scalars[position] == "\"" else { return unquotedField() }
            let quoteLine = line
            position += 1
            var field = String.UnicodeScalarView()
            while true {
                guard position < scalars.count else {
                    throw RosterImport.Problem(
                        line: quoteLine,
                        reason: "a field starting with a double quote (\") is never closed; add the closing quote")
                }
                let scalar = scalars[position]
                if scalar == "\"" {
                    if position + 1 < scalars.count, scalars[position + 1] == "\"" {
                        field.append("\"")
                        position += 2
                        continue
                    }
                    position += 1
                    break
                }
                if isLineEnd(scalar) {
                    // Keep the line break inside the field as one "\n", but count the physical line.
                    consumeLineEnd()
                    field.append("\n")
                    continue
                }
                field.append(scalar)
                position += 1
            }
            guard position >= scalars.count || scalars[position] == "," || isLineEnd(scalars[position]) else {
                throw RosterImport.Problem(
                    line: line,
                    reason: "a quoted field is followed by more text before the next comma; "
                        + "put the whole field inside the quotes and write a quote inside it as \"\"")
            }
            return String(field)
        }

        mutating func unquotedField() -> String {
            var field = String.UnicodeScalarView()
            while position < scalars.count, scalars[position] != ",", !isLineEnd(scalars[position]) {
                field.append(scalars[position])
                position += 1
            }
            return String(field)
        }

        func isLineEnd(_ scalar: Unicode.Scalar) -> Bool { scalar == "\n" || scalar == "\r" }

        /// Skips one LF, CRLF or lone CR and counts it as one line.
        mutating func consumeLineEnd() {
            guard position < scalars.count else { return }
            if scalars[position] == "\r", position + 1 < scalars.count, scalars[position + 1] == "\n" {
                position += 1
            }
            position += 1
            line += 1
        }
    }
}
