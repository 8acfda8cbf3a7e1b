public import ArgumentParser
import CygnetAuth
import CygnetRuntime
import Foundation

/// `cygnet users import`: creates a whole class from a CSV roster, all accounts or none.
public struct UsersImport: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create many accounts at once from a class list (a CSV file).",
        discussion: """
            Save the class list from your spreadsheet as CSV. The first line names the columns, in any order:

              username,name,email,groups,password

            Only 'username' is required. Put several groups in one cell separated by ';' (for example \
            physics-1;lab-b). Leave the password empty to have one generated.

            Every line is checked first; if any line has a mistake, nothing is imported and each mistake is \
            listed with its line number, so you can fix the file and run the import again.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: ArgumentHelp("The class list, a CSV file.", valueName: "file.csv"))
    var file: String

    @Option(
        help: ArgumentHelp(
            "Write the generated passwords to this CSV file (readable only by you) instead of the screen.",
            valueName: "file"))
    var passwordsOut: String?

    public init() {}

    public func run() async throws {
        let console = Console.current
        let text = try Self.readRoster(file)
        let installation = try await Installation.load(state)
        let passwordsFile = try passwordsOut.map { try PasswordsFile(creating: StateOptions.absolute($0)) }
        let rows: [RosterImport.Row]
        do {
            rows = try await Self.importRoster(text, into: installation, console: console)
        } catch let error as RosterProblems {
            passwordsFile?.discard()
            for problem in error.problems { console.printError(problem.description) }
            console.printError(
                "Nothing was imported: fix the \(error.problems.count) rows above and run the import again.")
            throw ExitCode.failure
        } catch {
            passwordsFile?.discard()
            throw error
        }
        report(rows, passwordsFile: passwordsFile, console: console)
    }

    /// Checks every row against the file and the accounts that exist, then creates all accounts in one transaction.
    static func importRoster(
        _ text: String, into installation: Installation, console: Console
    ) async throws -> [RosterImport.Row] {
        let hasher = PasswordHasher(parameters: installation.hashing)
        return try await installation.withStore { store in
            let accounts = AccountService(store: store, hasher: hasher)
            let existing = Set(try await accounts.users.list().map(\.username))
            switch RosterImport.parse(text, existingUsernames: existing) {
            case .problems(let problems):
                throw RosterProblems(problems: problems)
            case .rows(let rows):
                // Hashing is deliberately slow (a fraction of a second per password): say what is happening.
                if rows.count > 10 { console.print("All \(rows.count) rows are fine; creating the accounts …") }
                try await accounts.addAll(rows.map(\.account))
                return rows
            }
        }
    }

    func report(_ rows: [RosterImport.Row], passwordsFile: PasswordsFile?, console: Console) {
        let generated = rows.filter(\.passwordWasGenerated)
        console.print("Imported \(rows.count) account\(rows.count == 1 ? "" : "s").")
        if let passwordsFile {
            do {
                try passwordsFile.write(generated.map { ($0.account.username, $0.account.password) })
                console.print(
                    "Wrote the \(generated.count) generated password\(generated.count == 1 ? "" : "s") to "
                        + "\(passwordsFile.path) (readable only by you); hand them out, then delete the file.")
                return
            } catch {
                // The accounts exist now; showing the passwords is the only way not to lose them.
                console.printError("\(error) The passwords follow here instead.")
            }
        }
        guard !rows.isEmpty else { return }
        var table = TextTable("USERNAME", "PASSWORD")
        for row in rows {
            table.add([row.account.username, row.passwordWasGenerated ? row.account.password : "(from the file)"])
        }
        for line in table.lines { console.print(line) }
        if !generated.isEmpty { console.print("The generated passwords are shown only this once.") }
    }

    static func readRoster(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: StateOptions.absolute(path)) else {
            throw CLIError("cannot read the class list \(path): the file does not exist or is not readable.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError(
                "the class list \(path) is not UTF-8 text; in your spreadsheet, save it as \"CSV UTF-8\".")
        }
        return text
    }
}

/// The rows that stopped an import, carried out of the store's closure.
struct RosterProblems: Error {
    var problems: [RosterImport.Problem]
}
