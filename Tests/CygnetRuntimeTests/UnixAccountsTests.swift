import Testing

@testable import CygnetRuntime

@Suite struct UnixAccountsTests {
    @Test func plainNamesKeepTheirName() {
        #expect(UnixAccounts.accountName(for: "alice") == "jupyter-alice")
        #expect(UnixAccounts.accountName(for: "bob_2") == "jupyter-bob_2")
    }

    @Test func otherNamesAreMappedWithAHashSoTheyNeverCollide() {
        let dotted = UnixAccounts.accountName(for: "o.brien")
        let dashed = UnixAccounts.accountName(for: "o-brien")
        #expect(dotted.hasPrefix("jupyter-o-brien-"))
        #expect(dotted != dashed)
        for name in ["o.brien", "-rf", "a;b", String(repeating: "x", count: 32), "Ünïcode"] {
            let account = UnixAccounts.accountName(for: name)
            #expect(account.count <= 32)
            #expect(account.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") })
        }
    }
}
