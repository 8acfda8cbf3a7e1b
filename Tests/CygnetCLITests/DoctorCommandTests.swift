import ArgumentParser
import Foundation
import Testing

@testable import CygnetCLI

@Suite("cygnet doctor")
struct DoctorCommandTests {
    @Test func everyLineSaysOkOrWhatToFix() async throws {
        try await TestInstallation.with { cygnet in
            try await cygnet.run(["users", "add", "ada"])
            let console = RecordingConsole()
            do {
                try await TestInstallation.run(
                    ["doctor", "--state-dir", cygnet.directory, "--port", "1"], console: console)
            } catch let exit as ExitCode {
                #expect(exit == .failure)  // This machine may lack something (port 1 needs root, FUSE …).
            }
            let lines = console.outputLines
            #expect(lines.count >= 7)  // Python missing gives one line instead of two.
            #expect(lines.allSatisfy { $0.hasPrefix("ok   ") || ($0.hasPrefix("FIX  ") && $0.contains(" — ")) })
            #expect(lines.first == "ok   the settings file \(cygnet.configFile) is valid")
            #expect(lines.contains("ok   the state folder \(cygnet.directory) is writable"))
            #expect(
                lines.contains("ok   the database sqlite:\(cygnet.directory)/cygnet.sqlite opens and holds 1 account"))
        }
    }

    @Test func namesTheBadSetting() async throws {
        try await TestInstallation.with { cygnet in
            try cygnet.writeConfiguration(extra: "log:\n  level: loud\n")
            let (check, installation) = await DoctorChecks.configuration(file: cygnet.configFile)
            #expect(!check.isOK)
            #expect(installation == nil)
            #expect(
                check.line.hasPrefix(
                    "FIX  the settings file has a problem: \(cygnet.configFile): 'log.level' is set to 'loud'"))
            #expect(check.line.hasSuffix(" — edit \(cygnet.configFile)"))
        }
    }

    @Test func missingSettingsFileIsFineBeforeTheFirstRun() async {
        let (check, _) = await DoctorChecks.configuration(file: "/nonexistent/cygnet.yaml")
        #expect(check.isOK)
    }

    @Test func lowDiskSpaceNeedsFixing() {
        #expect(
            DoctorChecks.diskSpace(freeBytes: 6 << 30, folder: "/srv").line == "ok   6.0 GiB free on the disk of /srv")
        #expect(DoctorChecks.diskSpace(freeBytes: 1 << 30, folder: "/srv").line.hasPrefix("FIX  only 1.0 GiB free"))
    }

    @Test func findsListeningSocketsInProcTables() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0
               1: 0100007F:1F40 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0
               2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0
            """
        #expect(PortOwner.listeningInodes(in: table, port: 8000) == ["4242"])
        #expect(PortOwner.listeningInodes(in: table, port: 22) == ["4444"])
    }

    @Test func portInUseIsReported() throws {
        let listener = try ListeningSocket()
        let check = DoctorChecks.port(FrontDoor(host: "127.0.0.1", port: listener.port))
        #expect(!check.isOK)
        #expect(check.finding.hasPrefix("port \(listener.port) on 127.0.0.1 is in use by "))
    }
}
