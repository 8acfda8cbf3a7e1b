import Foundation
import Subprocess
import SystemPackage

/// The programs `cygnet up` keeps running, how each is called and how to tell it answers: cygnet-auth, cygnet-hub
/// and cygnet-storage on loopback, cygnet-proxy on the front door routing to them.
struct ApplianceProcesses: Sendable {
    let auth: SupervisedProcess
    let hub: SupervisedProcess
    let proxy: SupervisedProcess
    let storage: SupervisedProcess
    /// cygnet-software's server and mount, when software repositories are on.
    let software: [SupervisedProcess]
    let hubExecutable: String
    let configFile: String
    let environment: [String: String]

    var all: [SupervisedProcess] { [auth, proxy, storage] + software + [hub] }

    init(
        prepared: ApplianceBootstrap.Prepared, configFile: String, auth: String, hub: String, proxy: String,
        storage: String, software: [SupervisedProcess] = []
    ) {
        let front = prepared.front
        let environment = prepared.serviceEnvironment
        let authProbe = HealthProbe(url: front.authHealthURL)
        let hubProbe = HealthProbe(url: front.hubHealthURL)
        let proxyProbe = HealthProbe(url: front.proxyHealthURL)
        let storageProbe = HealthProbe(url: front.storageHealthURL)
        self.auth = SupervisedProcess(
            name: "cygnet-auth", executable: auth, arguments: ["--config", configFile, "--exit-with-parent"],
            environment: environment, outputPrefix: "[auth] ", isHealthy: { await authProbe.check() })
        self.hub = SupervisedProcess(
            name: "cygnet-hub", executable: hub, arguments: ["--config", configFile, "--exit-with-parent"],
            environment: environment, outputPrefix: "[hub] ", isHealthy: { await hubProbe.check() })
        self.storage = SupervisedProcess(
            name: "cygnet-storage", executable: storage,
            arguments: ["serve", "--config", configFile, "--exit-with-parent"],
            environment: environment, outputPrefix: "[storage] ", isHealthy: { await storageProbe.check() })
        let loopback = front.internalHost
        let storageTarget = "http://\(loopback):\(front.storageListenPort)"
        self.proxy = SupervisedProcess(
            name: "cygnet-proxy", executable: proxy,
            arguments: [
                "--listen", "\(FrontDoor.urlHost(front.host)):\(front.port)",
                "--api-listen", "\(loopback):\(front.proxyAPIPort)",
                "--default-target", "http://\(loopback):\(front.hubListenPort)",
                "--route", "/auth=http://\(loopback):\(front.authListenPort)",
                // The paths sync clients use (storage-protocols.md §1): DAV, OCS, the status probe, public links.
                "--route", "/remote.php=\(storageTarget)", "--route", "/ocs=\(storageTarget)",
                "--route", "/status.php=\(storageTarget)", "--route", "/public.php=\(storageTarget)",
                "--route", "/s=\(storageTarget)",
                "--exit-with-parent",
            ] + (software.isEmpty ? [] : ["--route", "/cvmfs=http://\(loopback):\(front.softwareListenPort)"]),
            environment: environment, outputPrefix: "[proxy] ", isHealthy: { await proxyProbe.check() })
        self.software = software
        self.hubExecutable = hub
        self.configFile = configFile
        self.environment = environment
    }

    /// Sessions outlive a restart of the hub, but not the appliance: when `cygnet up` stops, so do they.
    func stopSessions(console: Console) async {
        let variables = Environment.inherit.updating(
            Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
        do {
            let result = try await Subprocess.run(
                .path(FilePath(hubExecutable)), arguments: ["--config", configFile, "--stop-sessions"],
                environment: variables, output: .string(limit: 64 * 1024), error: .string(limit: 64 * 1024))
            if !result.terminationStatus.isSuccess {
                console.printError("Could not stop the running sessions: \(result.standardError)")
            }
        } catch {
            console.printError("Could not stop the running sessions: \(error)")
        }
    }
}
