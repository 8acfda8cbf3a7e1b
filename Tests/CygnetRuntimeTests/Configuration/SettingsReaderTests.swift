import CygnetRuntime
import Foundation
import Testing

@Suite("Configuration: YAML, environment overrides, validation messages")
struct SettingsReaderTests {
    @discardableResult
    static func withFile<R>(_ yaml: String, _ body: (String) async throws -> R) async throws -> R {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cygnet-\(UUID()).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    @Test func fileValuesAndEnvironmentOverrides() async throws {
        try await Self.withFile("public_url: http://school.example:8000/\nauth:\n  port: 9000\n") { path in
            let reader = try await ConfigurationLoader.load(file: path, environment: ["CYGNET_AUTH_PORT": "9100"])
            #expect(try reader.int("auth.port", default: 1, range: 1...65535) == 9100)
            let appliance = try ApplianceSettings(reading: reader)
            #expect(appliance.publicURL == "http://school.example:8000")
        }
    }

    @Test func badValueNamesTheKeyTheValueAndWhatIsAllowed() async throws {
        try await Self.withFile("auth:\n  port: eighty\n") { path in
            let reader = try await ConfigurationLoader.load(file: path, environment: [:])
            let error = #expect(throws: ConfigurationError.self) {
                try reader.int("auth.port", default: 8000, range: 1...65535)
            }
            #expect(error?.description.contains("'auth.port'") == true)
            #expect(error?.description.contains("'eighty'") == true)
            #expect(error?.description.contains("from 1 to 65535") == true)
        }
    }

    @Test func unknownKeysInAReadSectionAreReported() async throws {
        try await Self.withFile("auth:\n  prot: 9000\nhub:\n  later: 1\n") { path in
            let reader = try await ConfigurationLoader.load(file: path, environment: [:])
            _ = try reader.int("auth.port", default: 8000, range: 1...65535)
            let error = #expect(throws: ConfigurationError.self) {
                try reader.rejectUnknownKeys(inSections: ["auth"])
            }
            #expect(error?.key == "auth.prot")
        }
    }

    @Test func invalidYAMLSaysSo() async throws {
        try await Self.withFile("auth: [unclosed\n") { path in
            await #expect(throws: ConfigurationFileError.self) {
                _ = try await ConfigurationLoader.load(file: path, environment: [:])
            }
        }
    }

    @Test func durationsAcceptUnits() throws {
        let reader = SettingsReader(values: ["a": "90s", "b": "5m", "c": "2d", "d": "300", "e": "soon"])
        let range = Duration.seconds(0)...Duration.seconds(10 * 86400)
        #expect(try reader.duration("a", default: .zero, range: range) == .seconds(90))
        #expect(try reader.duration("b", default: .zero, range: range) == .seconds(300))
        #expect(try reader.duration("c", default: .zero, range: range) == .seconds(172_800))
        #expect(try reader.duration("d", default: .zero, range: range) == .seconds(300))
        #expect(throws: ConfigurationError.self) { try reader.duration("e", default: .zero, range: range) }
    }

    @Test func applianceDefaultsAndBadDatabaseURL() throws {
        let defaults = try ApplianceSettings(reading: SettingsReader(values: ["state_dir": "/srv/cygnet"]))
        #expect(defaults.database == .sqlite(path: "/srv/cygnet/cygnet.sqlite"))
        #expect(throws: ConfigurationError.self) {
            try ApplianceSettings(reading: SettingsReader(values: ["database.url": "mysql://x"]))
        }
        #expect(throws: ConfigurationError.self) {
            try ApplianceSettings(reading: SettingsReader(values: ["public_url": "ftp://x"]))
        }
    }
}
