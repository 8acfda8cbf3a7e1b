import CygnetAuth
import CygnetRuntime
import Foundation
import Testing

@testable import CygnetCLI

@Suite("cygnet up: preparing the machine")
struct ApplianceBootstrapTests {
    @Test func firstRunCreatesEverythingAndTheSecondReusesIt() async throws {
        try await TestInstallation.with(writingConfiguration: false) { cygnet in
            let state = cygnet.directory + "/state"
            let first = RecordingConsole()
            let bootstrap = ApplianceBootstrap(
                stateDirectory: state, configFile: state + "/cygnet.yaml", host: nil, port: 8123, publicURL: nil)
            let prepared = try await bootstrap.prepare(console: first.console)

            let mode = try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int
            #expect(mode == 0o700)
            let fileMode =
                try FileManager.default.attributesOfItem(atPath: state + "/cygnet.yaml")[.posixPermissions] as? Int
            #expect(fileMode == 0o600)
            #expect(prepared.createdConfiguration)
            #expect(prepared.front == FrontDoor(host: "127.0.0.1", port: 8123))
            #expect(prepared.publicURL == "http://127.0.0.1:8123")
            #expect(prepared.settings.database == .sqlite(path: state + "/cygnet.sqlite"))
            let password = try #require(prepared.administratorPassword)
            #expect(
                first.outputLines == [
                    "Administrator account created (the password is shown only this once):",
                    "    username: admin",
                    "    password: \(password)",
                ])
            let admin = try await TestInstallation(directory: state).withAccounts {
                try await $0.users.find(username: "admin")
            }
            #expect(admin?.isAdmin == true)

            // Later runs reuse the file and the account; flags apply to that run only.
            let second = RecordingConsole()
            let again = try await ApplianceBootstrap(
                stateDirectory: state, configFile: state + "/cygnet.yaml", host: "0.0.0.0", port: 9000, publicURL: nil
            ).prepare(console: second.console)
            #expect(second.output.isEmpty)
            #expect(!again.createdConfiguration && again.administratorPassword == nil)
            #expect(again.front == FrontDoor(host: "0.0.0.0", port: 9000))
            #expect(again.publicURL == "http://127.0.0.1:9000")
            // Behind the proxy on the front port, the services listen on loopback at the next ports.
            #expect(again.serviceEnvironment["CYGNET_AUTH_PORT"] == "9001")
            #expect(again.serviceEnvironment["CYGNET_AUTH_HOST"] == "127.0.0.1")
            #expect(again.serviceEnvironment["CYGNET_HUB_PORT"] == "9003")
            #expect(again.front.authHealthURL == "http://127.0.0.1:9001/auth/healthz")
            #expect(again.front.proxyHealthURL == "http://127.0.0.1:9002/api/healthz")
            let text = try String(contentsOfFile: state + "/cygnet.yaml", encoding: .utf8)
            #expect(text.contains("port: 8123"))
        }
    }

    @Test func starterFileIsValidConfiguration() async throws {
        try await TestInstallation.with(writingConfiguration: false) { cygnet in
            let starter = StarterConfiguration(
                publicURL: "https://notebooks.school.example", stateDirectory: cygnet.directory + "/with \"quote\"",
                front: FrontDoor(host: "0.0.0.0", port: 8443))
            try starter.write(to: cygnet.configFile)
            #expect(throws: CLIError.self) { try starter.write(to: cygnet.configFile) }
            let reader = try await ConfigurationLoader.load(file: cygnet.configFile, environment: [:])
            let settings = try ApplianceSettings(reading: reader)
            #expect(settings.publicURL == "https://notebooks.school.example")
            #expect(settings.stateDirectory == cygnet.directory + "/with \"quote\"")
            #expect(settings.database == .sqlite(path: cygnet.directory + "/with \"quote\"/cygnet.sqlite"))
            #expect(try FrontDoor(reading: reader) == FrontDoor(host: "0.0.0.0", port: 8443))
            #expect(try reader.int("proxy.port", default: 0, range: 1...65535) == 8443)
        }
    }

    @Test func explicitPublicURLIsKept() async throws {
        try await TestInstallation.with(writingConfiguration: false) { cygnet in
            let state = cygnet.directory + "/state"
            let prepared = try await ApplianceBootstrap(
                stateDirectory: state, configFile: state + "/cygnet.yaml", host: nil, port: nil,
                publicURL: "https://notebooks.school.example/"
            ).prepare(console: RecordingConsole().console)
            #expect(prepared.publicURL == "https://notebooks.school.example")
            let later = try await ApplianceBootstrap(
                stateDirectory: state, configFile: state + "/cygnet.yaml", host: nil, port: 8001, publicURL: nil
            ).prepare(console: RecordingConsole().console)
            #expect(later.publicURL == "https://notebooks.school.example")
        }
    }

    @Test func aBusyPortStopsUpBeforeAnyAccountIsMade() throws {
        let listener = try ListeningSocket()
        let error = #expect(throws: CLIError.self) {
            try Up.checkPortIsFree(FrontDoor(host: "127.0.0.1", port: listener.port))
        }
        #expect(error?.message.hasPrefix("port \(listener.port) on 127.0.0.1 is already in use by ") == true)
        #expect(throws: Never.self) { try Up.checkPortIsFree(FrontDoor(host: "127.0.0.1", port: 0)) }
    }
}

@Suite("cygnet up: the front door")
struct FrontDoorTests {
    @Test func oldSettingsFilesNamedTheFrontDoorUnderAuth() throws {
        let old = SettingsReader(values: ["auth.host": "0.0.0.0", "auth.port": "8080"])
        #expect(try FrontDoor(reading: old) == FrontDoor(host: "0.0.0.0", port: 8080))
        let new = SettingsReader(values: ["auth.port": "8080", "proxy.port": "9000"])
        #expect(try FrontDoor(reading: new) == FrontDoor(host: "127.0.0.1", port: 9000))
    }

    @Test func servicesGetThePortsAfterTheFrontPort() {
        let front = FrontDoor(host: "0.0.0.0", port: 8000)
        #expect(front.internalPorts == [8001, 8002, 8003, 8005])
        #expect(front.hubHealthURL == "http://127.0.0.1:8003/hub/healthz")
        #expect(front.storageHealthURL == "http://127.0.0.1:8005/storage/healthz")
    }
}
