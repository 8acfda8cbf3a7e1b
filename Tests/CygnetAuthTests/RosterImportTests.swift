import CygnetAuth
import Testing

@Suite("Roster import")
struct RosterImportTests {
    /// Numbered passwords, so expectations do not depend on randomness.
    final class PasswordSource {
        var count = 0
        func next() -> String {
            count += 1
            return "generated-\(count)"
        }
    }

    func parse(_ text: String, existing: Set<String> = []) -> RosterImport.Outcome {
        let source = PasswordSource()
        return RosterImport.parse(text, existingUsernames: existing, generatePassword: source.next)
    }

    func rows(_ text: String, existing: Set<String> = []) throws -> [RosterImport.Row] {
        guard case .rows(let rows) = parse(text, existing: existing) else {
            Issue.record("expected rows, got \(parse(text, existing: existing))")
            return []
        }
        return rows
    }

    func problems(_ text: String, existing: Set<String> = []) -> [String] {
        guard case .problems(let problems) = parse(text, existing: existing) else {
            Issue.record("expected problems, got \(parse(text, existing: existing))")
            return []
        }
        return problems.map(\.description)
    }

    @Test func readsAllColumnsInAnyOrder() throws {
        let text = """
            email,username,groups,name,password
            ada@example.org,ada,physics-1; lab-b,Ada Lovelace,correct horse
            ,bob,,Bob,
            """
        let result = try rows(text)
        #expect(result.count == 2)
        #expect(result[0].line == 2)
        #expect(
            result[0].account
                == NewAccount(
                    username: "ada", displayName: "Ada Lovelace", email: "ada@example.org", password: "correct horse",
                    groups: ["physics-1", "lab-b"]))
        #expect(!result[0].passwordWasGenerated)
        #expect(result[1].account.username == "bob")
        #expect(result[1].account.password == "generated-1")
        #expect(result[1].account.groups.isEmpty)
        #expect(result[1].passwordWasGenerated)
    }

    @Test func onlyUsernameIsRequired() throws {
        let result = try rows("username\ncarol\ndave\n")
        #expect(result.map(\.account.username) == ["carol", "dave"])
        #expect(result.map(\.account.password) == ["generated-1", "generated-2"])
    }

    @Test func reportsEveryBadRowWithItsLine() {
        let text = """
            username,name,email,password
            ,No Name,,
            Bad Name,,,
            erin,,not-an-email,
            frank,,,short
            grace,,,
            grace,,,
            """
        #expect(
            problems(text) == [
                "line 2: the username is empty",
                "line 3: the username 'Bad Name' may use only lower-case letters a-z, digits, '.', '_' and '-', and must start with a letter or digit",
                "line 4: 'not-an-email' is not an e-mail address such as ada@example.org",
                "line 5: the password is shorter than 8 characters",
                "line 7: the username 'grace' already appears on line 6",
            ])
    }

    @Test func rejectsUsernamesAlreadyInCygnet() {
        #expect(
            problems("username\nadmin\nhenry\n", existing: ["admin"]) == [
                "line 2: the username 'admin' already exists in Cygnet"
            ])
    }

    @Test func combinesSeveralReasonsOfOneRow() {
        #expect(
            problems("username,email,password\nIvy,ivy@,abc\n") == [
                "line 2: the username 'Ivy' may use only lower-case letters a-z, digits, '.', '_' and '-', and must start with a letter or digit; 'ivy@' is not an e-mail address such as ada@example.org; the password is shorter than 8 characters"
            ])
    }

    @Test func rejectsBadGroupNames() {
        #expect(problems("username,groups\njack,Physics 1;ok\n").count == 1)
    }

    @Test func rejectsUnknownColumnNamingIt() {
        #expect(
            problems("username,class\nada,physics\n") == [
                "line 1: the column 'class' is not one Cygnet knows; use only username, name, email, groups, password (in any order)"
            ])
    }

    @Test func rejectsHeaderWithoutUsernameOrWithRepeatedColumn() {
        #expect(
            problems("name,email\nAda,ada@example.org\n").first?.hasPrefix(
                "line 1: the header has no 'username' column") == true)
        #expect(problems("username,name,Name\nada,A,B\n") == ["line 1: the column 'name' appears twice in the header"])
    }

    @Test func rejectsWrongFieldCount() {
        let found = problems("username,name,email\nada,Ada Lovelace\nbob,Bob,bob@example.org,extra\n")
        #expect(found.count == 2)
        #expect(found[0].hasPrefix("line 2: this row has 2 fields but the header has 3 columns"))
        #expect(found[1].hasPrefix("line 3: this row has 4 fields but the header has 3 columns"))
    }

    @Test func reportsUnterminatedQuoteAtTheLineWhereItOpened() {
        let found = problems("username,name\nada,Ada\nbob,\"Bob\ncarol,Carol\n")
        #expect(found == ["line 3: a field starting with a double quote (\") is never closed; add the closing quote"])
    }

    @Test func rejectsTextAfterAClosingQuote() {
        let found = problems("username,name\nada,\"Ada\" Lovelace\n")
        #expect(found.first?.hasPrefix("line 2: a quoted field is followed by more text") == true)
    }

    @Test func quotedFieldsMayHoldCommasQuotesAndLineBreaks() throws {
        let text =
            "username,name,password\nada,\"Lovelace, Ada \"\"the first\"\"\",\"pass,word\"\r\nbob,Bob,\"two\nline pass\"\nBad,,\n"
        guard case .problems(let found) = parse(text) else {
            Issue.record("expected a problem on the last row")
            return
        }
        // The record after the two-line field starts on physical line 5.
        #expect(found.map(\.line) == [5])
        let good = try rows("username,name,password\nada,\"Lovelace, Ada \"\"the first\"\"\",\"pass,word\"\r\n")
        #expect(good.first?.account.displayName == "Lovelace, Ada \"the first\"")
        #expect(good.first?.account.password == "pass,word")
    }

    @Test func multiLineDisplayNameIsRejected() {
        #expect(problems("username,name\nbob,\"two\nlines\"\n").first?.hasPrefix("line 2: the display name") == true)
    }

    @Test func acceptsByteOrderMarkAndCRLF() throws {
        let result = try rows("\u{FEFF}username,name\r\nada,Ada\r\nbob,Bob\r\n")
        #expect(result.map(\.account.username) == ["ada", "bob"])
        #expect(result.map(\.line) == [2, 3])
        #expect(result.first?.account.displayName == "Ada")
    }

    @Test func acceptsLoneCarriageReturnLineEnds() throws {
        let result = try rows("username\rada\rbob")
        #expect(result.map(\.line) == [2, 3])
    }

    @Test func skipsBlankLinesButKeepsLineNumbers() throws {
        let result = try rows("username,name\n\nada,Ada\n,\n\nbob,Bob\n\n")
        #expect(result.map(\.line) == [3, 6])
    }

    @Test func trimsSpacesExceptInPasswords() throws {
        let result = try rows("username , name ,password\n ada , Ada ,  spaced pass \n")
        #expect(result.first?.account.username == "ada")
        #expect(result.first?.account.displayName == "Ada")
        #expect(result.first?.account.password == "  spaced pass ")
    }

    @Test func emptyFileNeedsAHeader() {
        #expect(problems("").first?.hasPrefix("line 1: the file is empty") == true)
        #expect(problems("\u{FEFF}\r\n").first?.hasPrefix("line 1: the file is empty") == true)
    }

    @Test func headerOnlyGivesNoRows() throws {
        #expect(try rows("username,name\n").isEmpty)
    }
}
