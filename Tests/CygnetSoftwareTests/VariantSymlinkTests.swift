import Testing

@testable import CygnetSoftware

@Suite("Variant symlinks")
struct VariantSymlinkTests {
    private func expand(_ target: String, _ variables: [String: String]) -> String {
        String(decoding: VariantSymlinks(variables: variables).expand(Array(target.utf8)), as: UTF8.self)
    }

    @Test("$(NAME) and $(NAME:-default) expand from the variables; other text stays")
    func expansion() {
        let variables = ["STACK": "2026b", "ARCH": "x86_64"]
        #expect(expand("stacks/$(STACK)/bin", variables) == "stacks/2026b/bin")
        #expect(expand("$(ARCH)-$(STACK)", variables) == "x86_64-2026b")
        #expect(expand("stacks/$(MISSING:-2026a)", variables) == "stacks/2026a")
        #expect(expand("stacks/$(STACK:-2026a)", variables) == "stacks/2026b")
        #expect(expand("stacks/$(MISSING)/bin", variables) == "stacks//bin")
        #expect(expand("plain/target", variables) == "plain/target")
        #expect(
            expand("$5 and $(unclosed and $() and $(BAD NAME)", variables)
                == "$5 and $(unclosed and $() and $(BAD NAME)")
        #expect(expand("$(MISSING:-/with/slashes-and:colons)", variables) == "/with/slashes-and:colons")
    }
}
