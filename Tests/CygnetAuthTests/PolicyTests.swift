import CygnetAuth
import CygnetRuntime
import Foundation
import Testing

@Suite("PKCE, throttling, passwords, validation")
struct PolicyTests {
    @Test func pkceMatchesRFC7636AppendixB() {
        #expect(
            PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(
            PKCE.verify(
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", against: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!PKCE.verify("short", against: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
    }

    @Test func throttleLocksTheAccountThenDoublesAndSparesOthers() {
        var throttle = LoginThrottle(policy: .init(accountFailures: 3, addressFailures: 100, firstLock: .seconds(30)))
        let start = ContinuousClock.now
        for _ in 0..<3 { throttle.recordFailure(account: "ada", address: "10.0.0.1", now: start) }
        #expect(throttle.waitTime(account: "ada", address: "10.0.0.1", now: start) == .seconds(30))
        #expect(throttle.waitTime(account: "grace", address: "10.0.0.1", now: start) == nil)
        let later = start + .seconds(31)
        #expect(throttle.waitTime(account: "ada", address: "10.0.0.1", now: later) == nil)
        for _ in 0..<3 { throttle.recordFailure(account: "ada", address: "10.0.0.1", now: later) }
        #expect(throttle.waitTime(account: "ada", address: "10.0.0.1", now: later) == .seconds(60))
    }

    @Test func throttleLocksAnAddressSprayingManyAccounts() {
        var throttle = LoginThrottle(policy: .init(accountFailures: 5, addressFailures: 10))
        let now = ContinuousClock.now
        for index in 0..<10 { throttle.recordFailure(account: "user\(index)", address: "10.0.0.9", now: now) }
        #expect(throttle.waitTime(account: "someone", address: "10.0.0.9", now: now) != nil)
        #expect(throttle.waitTime(account: "someone", address: "10.0.0.8", now: now) == nil)
    }

    @Test func passwordHashRoundTripAndRejectsMalformedHashes() async throws {
        let hasher = PasswordHasher(parameters: .init(costLog2: 10))
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await !hasher.verify("correct horsf", against: hash))
        #expect(try await !hasher.verify("correct horse", against: "$scrypt$ln=99$x$y"))
        #expect(PasswordHasher(parameters: .init(costLog2: 11)).needsRehash(hash))
    }

    @Test(arguments: ["", "Ada", "ada smith", "-ada", "ada/..", String(repeating: "a", count: 33), "ädä"])
    func badUsernamesAreRefusedWithAReason(name: String) {
        #expect(throws: AuthError.self) { try AccountValidation.checkUsername(name) }
    }

    @Test(arguments: ["ada", "a.lovelace", "student-07", "x_1"])
    func goodUsernamesPass(name: String) throws {
        try AccountValidation.checkUsername(name)
    }

    @Test(arguments: ["http://example.org/cb", "javascript:alert(1)", "https://x/cb#frag", "/relative"])
    func unsafeRedirectURIsAreRefused(uri: String) {
        #expect(throws: AuthError.self) { try ClientValidation.checkRedirectURI(uri) }
    }
}
