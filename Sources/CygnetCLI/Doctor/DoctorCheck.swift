/// The result of one `cygnet doctor` check: what was found and, when something needs fixing, how.
struct DoctorCheck: Sendable, Equatable {
    var isOK: Bool
    var finding: String
    var fix: String?

    static func ok(_ finding: String) -> DoctorCheck {
        DoctorCheck(isOK: true, finding: finding, fix: nil)
    }

    static func fix(_ finding: String, _ how: String) -> DoctorCheck {
        DoctorCheck(isOK: false, finding: finding, fix: how)
    }

    /// `ok   …` or `FIX  … — how to fix`, aligned so a column of results reads easily.
    var line: String {
        isOK ? "ok   \(finding)" : "FIX  \(finding) — \(fix ?? "")"
    }
}
