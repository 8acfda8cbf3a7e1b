public import CygnetRuntime
import Foundation

/// The `hub:` section of the appliance configuration.
public struct HubSettings: Sendable {
    public var host: String
    public var port: Int
    /// Where the hub reaches cygnet-auth directly (token and userinfo calls), e.g. `http://127.0.0.1:8001/auth`.
    /// Browsers are sent to `<public_url>/auth` instead.
    public var authInternalURL: String
    public var clientID: String
    public var clientSecret: String
    public var proxyAPIURL: String
    public var proxyAuthToken: String
    public var sessions: SessionSettings
    /// Stacks named in `hub.stacks`.
    public var configuredStacks: [Stack]
    /// Folders searched for published stacks at every use (`hub.stack_roots`), so a stack mounted or published
    /// after the hub started is offered without a restart.
    public var stackRoots: [String]
    /// The local JupyterLab environment, offered when there is no other stack.
    public var fallbackStack: Stack
    public var limits: Limits
    public var services: [ServiceToken]

    public struct SessionSettings: Sendable {
        /// `jupyterhub-singleuser` and its fixed arguments; the stack's `bin` comes first on `PATH`.
        public var command: [String]
        /// Sessions run as one Unix account per user (`jupyter-<name>`); only possible as root.
        public var unixAccounts: Bool
        /// Where session home directories live (`<home_root>/<account or user>`).
        public var homeRoot: String
        public var defaultURL: String
        public var startTimeout: Duration
        public var startupScriptTimeout: Duration
        public var idleTimeout: Duration
        public var cullInterval: Duration
        /// Start sessions by forking a process with JupyterLab already imported (see `ForkServer`).
        public var forkServer: Bool
    }

    /// A software stack sessions can run from: a Python prefix with `bin/jupyterhub-singleuser`.
    public struct Stack: Sendable, Hashable {
        public var name: String
        public var description: String
        public var prefix: String
    }

    public struct Limits: Sendable, Equatable {
        public var defaultCores: Int
        public var maximumCores: Int
        public var defaultMemoryMB: Int
        public var maximumMemoryMB: Int
        /// Larger maxima for members of a group (a teacher's group, say).
        public var groups: [String: GroupLimit]

        public struct GroupLimit: Sendable, Equatable {
            public var maximumCores: Int
            public var maximumMemoryMB: Int
        }
    }

    /// A token an external service (the idle culler, a launcher) uses against `/hub/api`.
    public struct ServiceToken: Sendable, Equatable {
        public var name: String
        public var token: String
        public var scopes: [String]
    }

    public static let section = "hub"

    public init(reading settings: SettingsReader, appliance: ApplianceSettings) throws {
        host = try settings.string("hub.host", default: "127.0.0.1")
        port = try settings.int("hub.port", default: 8081, range: 1...65535)
        authInternalURL = try settings.string("hub.auth_url", default: "http://127.0.0.1:8001/auth")
        clientID = try settings.string("hub.client_id", default: "cygnet-hub")
        clientSecret = try settings.string("hub.client_secret", default: "")
        if clientSecret.count < 16 {
            throw ConfigurationError(
                key: "hub.client_secret", value: nil,
                allowed: "must be the hub's secret with cygnet-auth, at least 16 characters (cygnet up writes it)")
        }
        proxyAPIURL = try settings.string("hub.proxy.api_url", default: "http://127.0.0.1:8002")
        proxyAuthToken = try settings.string("hub.proxy.auth_token", default: "")
        if proxyAuthToken.count < 16 {
            throw ConfigurationError(
                key: "hub.proxy.auth_token", value: nil,
                allowed: "must be a secret shared with cygnet-proxy, at least 16 characters (cygnet up writes it)")
        }
        let isRoot = getuid() == 0
        let defaultPrefix = "/opt/cygnet/jupyter"
        let command = settings.stringArray("hub.sessions.command", default: ["jupyterhub-singleuser"])
        guard !command.isEmpty else {
            throw ConfigurationError(
                key: "hub.sessions.command", value: nil, allowed: "must name the program, e.g. jupyterhub-singleuser")
        }
        let unixAccounts = try settings.bool("hub.sessions.unix_accounts", default: isRoot)
        if unixAccounts && !isRoot {
            throw ConfigurationError(
                key: "hub.sessions.unix_accounts", value: "true",
                allowed: "needs Cygnet to run as root (it creates one account per user); set it to false")
        }
        sessions = SessionSettings(
            command: command, unixAccounts: unixAccounts,
            homeRoot: try settings.string(
                "hub.sessions.home_root", default: unixAccounts ? "/home" : appliance.stateDirectory + "/homes"),
            defaultURL: try settings.string("hub.sessions.default_url", default: "/lab"),
            startTimeout: try settings.duration(
                "hub.sessions.start_timeout", default: .seconds(120), range: .seconds(5)...(.seconds(3600))),
            startupScriptTimeout: try settings.duration(
                "hub.sessions.startup_script_timeout", default: .seconds(60), range: .seconds(1)...(.seconds(3600))),
            idleTimeout: try settings.duration(
                "hub.sessions.idle_timeout", default: .seconds(3600), range: .seconds(10)...(.seconds(86400 * 30))),
            cullInterval: try settings.duration(
                "hub.sessions.cull_interval", default: .seconds(60), range: .seconds(1)...(.seconds(3600))),
            forkServer: try settings.bool("hub.sessions.fork_server", default: true))
        configuredStacks = try Self.configuredStacks(reading: settings)
        stackRoots = settings.stringArray("hub.stack_roots", default: [])
        fallbackStack = Stack(name: "default", description: "Python 3 with JupyterLab", prefix: defaultPrefix)
        let defaultCores = try settings.int("hub.limits.cores.default", default: 1, range: 1...1024)
        let maximumCores = try settings.int(
            "hub.limits.cores.maximum", default: max(defaultCores, 2), range: defaultCores...1024)
        let defaultMemory = try settings.int(
            "hub.limits.memory_mb.default", default: 2048, range: 128...(1024 * 1024))
        let maximumMemory = try settings.int(
            "hub.limits.memory_mb.maximum", default: max(defaultMemory, 4096), range: defaultMemory...(1024 * 1024))
        var groups: [String: Limits.GroupLimit] = [:]
        for group in settings.childNames(of: "hub.limits.groups") {
            let key = "hub.limits.groups.\(group)"
            groups[group] = Limits.GroupLimit(
                maximumCores: try settings.int("\(key).cores", default: maximumCores, range: 1...1024),
                maximumMemoryMB: try settings.int(
                    "\(key).memory_mb", default: maximumMemory, range: 128...(1024 * 1024)))
        }
        limits = Limits(
            defaultCores: defaultCores, maximumCores: maximumCores, defaultMemoryMB: defaultMemory,
            maximumMemoryMB: maximumMemory, groups: groups)
        services = try settings.childNames(of: "hub.services").map { name in
            let token = try settings.string("hub.services.\(name).token", default: "")
            guard token.count >= 16 else {
                throw ConfigurationError(
                    key: "hub.services.\(name).token", value: nil,
                    allowed: "must be a random secret of at least 16 characters (e.g. from: openssl rand -hex 32)")
            }
            let scopes = settings.stringArray("hub.services.\(name).scopes", default: [])
            for scope in scopes where !Scopes.isKnown(scope) {
                throw ConfigurationError(
                    key: "hub.services.\(name).scopes", value: scope,
                    allowed: "is not a scope the hub knows; see docs/configuration.md")
            }
            return ServiceToken(name: name, token: token, scopes: scopes)
        }
    }

    /// Stacks from `hub.stacks`, then those found under `hub.stack_roots` (published by cygnet-software and
    /// mounted, e.g. /cvmfs); the local JupyterLab environment when there are none.
    public var stacks: [Stack] {
        var stacks = configuredStacks
        for manifest in StackManifest.discover(in: stackRoots)
        where !stacks.contains(where: { $0.name == manifest.name }) {
            stacks.append(Stack(name: manifest.name, description: manifest.description, prefix: manifest.prefix))
        }
        return stacks.isEmpty ? [fallbackStack] : stacks
    }

    static func configuredStacks(reading settings: SettingsReader) throws(ConfigurationError) -> [Stack] {
        try settings.childNames(of: "hub.stacks").map { name throws(ConfigurationError) in
            let prefix = try settings.string("hub.stacks.\(name).prefix", default: "")
            guard prefix.hasPrefix("/") else {
                throw ConfigurationError(
                    key: "hub.stacks.\(name).prefix", value: prefix,
                    allowed: "must be the absolute path of a Python environment, e.g. /opt/cygnet/jupyter")
            }
            return Stack(
                name: name, description: try settings.string("hub.stacks.\(name).description", default: name),
                prefix: prefix)
        }
    }

    /// The stack with this name, or the first one.
    public func stack(named name: String?) -> Stack? {
        guard let name, !name.isEmpty else { return stacks.first }
        return stacks.first { $0.name == name }
    }
}
