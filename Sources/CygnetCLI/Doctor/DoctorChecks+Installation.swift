import CygnetAuth
import CygnetRuntime
import Foundation
import Logging

/// The checks of `cygnet doctor` on the installation itself: its settings file, its database, its running services.
extension DoctorChecks {
    /// What the settings file says, when it is valid.
    struct ConfiguredInstallation {
        var settings: ApplianceSettings
        var front: FrontDoor
    }

    /// The settings file parses and every value Cygnet reads from it is valid.
    static func configuration(file: String) async -> (DoctorCheck, ConfiguredInstallation?) {
        guard FileManager.default.fileExists(atPath: file) else {
            return (.ok("no settings file yet (\(file)); `cygnet up` creates one"), nil)
        }
        do {
            let reader = try await ConfigurationLoader.load(file: file)
            let settings = try ApplianceSettings(reading: reader)
            _ = try AuthSettings(reading: reader)
            let installation = ConfiguredInstallation(settings: settings, front: try FrontDoor(reading: reader))
            return (.ok("the settings file \(file) is valid"), installation)
        } catch {
            return (.fix("the settings file has a problem: \(CLIError.presentable(error))", "edit \(file)"), nil)
        }
    }

    /// The database opens and holds Cygnet's accounts (read only: the doctor changes nothing).
    static func database(_ settings: ApplianceSettings) async -> DoctorCheck {
        if case .sqlite(let path) = settings.database, !FileManager.default.fileExists(atPath: path) {
            return .fix("the database \(path) does not exist yet", "run `cygnet up` once to create it")
        }
        let logger = Logger(label: "cygnet") { StructuredLogHandler(label: $0, level: .critical, format: .text) }
        do {
            let count = try await SQLStore.withStore(settings.database, logger: logger) { store in
                try await UserStore(store: store).list().count
            }
            return .ok("the database \(settings.database) opens and holds \(count) account\(count == 1 ? "" : "s")")
        } catch {
            return .fix(
                "cannot read the database \(settings.database): \(CLIError.presentable(error))",
                "check database.url in the settings file, or run `cygnet up` once to set the database up")
        }
    }

    /// Cygnet is running on the front port: its sign-in service must answer there.
    static func service(_ front: FrontDoor) async -> DoctorCheck {
        let url = front.frontHealthURL
        guard await HealthProbe(url: url).check() else {
            return .fix(
                "Cygnet is running but the sign-in service does not answer at \(url)",
                "look at the output of `cygnet up` for the reason, or stop it and start it again")
        }
        return .ok("the sign-in service answers at \(url)")
    }
}
