import CygnetRuntime
import Foundation
import Testing

@testable import CygnetHub

@Suite struct SessionOptionsTests {
    static func settings(_ extra: [String: String] = [:]) throws -> HubSettings {
        var values = [
            "hub.client_secret": String(repeating: "s", count: 20),
            "hub.proxy.auth_token": String(repeating: "t", count: 20),
            "hub.sessions.unix_accounts": "false",
            "hub.limits.cores.maximum": "2",
            "hub.limits.memory_mb.maximum": "4096",
        ]
        values.merge(extra) { _, new in new }
        let reader = SettingsReader(values: values)
        return try HubSettings(reading: reader, appliance: try ApplianceSettings(reading: reader))
    }

    @Test func missingChoicesTakeTheDefaults() throws {
        let options = try SessionOptions.parse([:], settings: try Self.settings(), groups: [])
        #expect(options == SessionOptions(stack: "default", cores: 1, memoryMB: 2048))
    }

    @Test func everyProblemIsReported() throws {
        #expect {
            try SessionOptions.parse(
                ["cores": "8", "memory_mb": "lots", "stack": "nope", "open": "../etc/passwd"],
                settings: try Self.settings(), groups: [])
        } throws: { error in
            let problems = (error as? SessionOptionsError)?.problems ?? []
            return problems.count == 4 && problems[0].contains("stack") && problems[1].contains("Cores")
        }
    }

    @Test func aGroupMayRaiseTheLimits() throws {
        var settings = try Self.settings()
        settings.limits.groups["teachers"] = .init(maximumCores: 4, maximumMemoryMB: 8192)
        #expect(SessionOptions.maxima(settings, groups: ["teachers"]) == (4, 8192))
        #expect(SessionOptions.maxima(settings, groups: ["class-5"]) == (2, 4096))
        let options = try SessionOptions.parse(["cores": "4"], settings: settings, groups: ["teachers"])
        #expect(options.cores == 4)
        #expect(throws: SessionOptionsError.self) {
            try SessionOptions.parse(["cores": "4"], settings: settings, groups: ["class-5"])
        }
    }

    @Test func memoryAcceptsUnits() {
        #expect(SessionOptions.parseMemory("2G") == 2048)
        #expect(SessionOptions.parseMemory("1.5GB") == 1536)
        #expect(SessionOptions.parseMemory("512") == 512)
        #expect(SessionOptions.parseMemory("512M") == 512)
        #expect(SessionOptions.parseMemory("-1G") == nil)
        #expect(SessionOptions.parseMemory("much") == nil)
    }

    @Test func theFileToOpenStaysInsideTheHomeFolder() {
        #expect(SessionOptions.checkedOpenPath("notebooks/intro.ipynb") == "notebooks/intro.ipynb")
        #expect(SessionOptions.checkedOpenPath("a//b/") == "a/b")
        #expect(SessionOptions.checkedOpenPath("../x") == nil)
        #expect(SessionOptions.checkedOpenPath("/etc/passwd") == nil)
        #expect(SessionOptions.checkedOpenPath("a/./b") == nil)
        #expect(SessionOptions.checkedOpenPath("a\u{0}b") == nil)
    }

    @Test func aLaunchLinkCarriesTheChoices() {
        let options = SessionOptions(stack: "default", cores: 2, memoryMB: 1024, open: "intro.ipynb")
        let names = options.queryItems.map(\.name)
        #expect(names == ["stack", "cores", "memory_mb", "open"])
    }
}
