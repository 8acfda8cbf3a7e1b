import CygnetRuntime
import Foundation
import Hummingbird
import Logging

/// `/hub/admin`: every user with their session's age, activity and resource use; start or stop anyone's session;
/// add users in bulk. Administrators only; every action is logged with who did it.
struct AdminController: Sendable {
    let context: HubContext
    let pagesController: PagesController
    let accounts: AuthAdminClient

    var pages: HubPages { pagesController.pages }

    func addRoutes(to router: Router<HubRequestContext>) {
        let admin = router.group("hub/admin")
        admin.get("") { request, _ in try await asAdmin(request) { try await overview($0, request) } }
        admin.post("users") { request, _ in try await asAdmin(request) { try await addUsers($0, request) } }
        admin.post("users/:name/start") { request, route in
            let name = try route.name()
            return try await asAdmin(request) { try await start($0, name: name, request) }
        }
        admin.post("users/:name/stop") { request, route in
            let name = try route.name()
            return try await asAdmin(request) { admin in
                try await pagesController.checkCSRF(request)
                context.logger.notice(
                    "administrator stopped a session", metadata: ["admin": "\(admin.name)", "user": "\(name)"])
                await context.sessions.requestStop(
                    name, notice: "An administrator (\(admin.name)) stopped your session.")
                return Response(status: .seeOther, headers: [.location: "/hub/admin"])
            }
        }
    }

    func asAdmin(_ request: Request, _ body: (HubUser) async throws -> Response) async throws -> Response {
        try await pagesController.withUser(request) { user in
            guard user.isAdmin else {
                return pages.message(
                    title: "Administrators only", text: "This page is for Cygnet's administrators.",
                    link: ("Home", "/hub/home"), status: .forbidden, userName: user.name)
            }
            return try await body(user)
        }
    }

    func overview(_ admin: HubUser, _ request: Request) async throws -> Response {
        let (token, cookie) = pagesController.csrf(request)
        let stored = Dictionary(
            try await context.users.servers().map { ($0.userName, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [[String: Any]] = []
        for user in try await context.users.all() {
            let session = await context.sessions.session(of: user.name)
            let usage = await context.sessions.usage(of: user.name)
            rows.append([
                "name": user.name, "admin": user.isAdmin, "groups": user.groups.joined(separator: ", "),
                "state": session.map { $0.phase == .ready ? "running" : "\($0.phase.rawValue)ing" } ?? "stopped",
                "running": session != nil,
                "started": session.map { Self.age(since: $0.startedAt) } ?? "",
                "lastActivity": (stored[user.name]?.lastActivity ?? user.lastActivity).map(Self.age(since:)) ?? "never",
                "cpu": usage?.cpuSeconds.map { String(format: "%.1f s", $0) } ?? "",
                "memory": usage?.memoryBytes.map { "\($0 / 1_048_576) MB" } ?? "",
                "csrfToken": token,
            ])
        }
        var values = pagesController.base(admin, title: "Administration", csrfToken: token)
        values["users"] = rows
        values["spawnerDescription"] = context.sessions.spawnerDescription
        var response = pages.render("admin", values)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    static func age(since time: Int64) -> String {
        let seconds = max(0, Timestamps.now() - time)
        switch seconds {
        case ..<60: return "\(seconds) s ago"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) days ago"
        }
    }

    func start(_ admin: HubUser, name: String, _ request: Request) async throws -> Response {
        try await pagesController.checkCSRF(request)
        guard let user = try await context.users.find(name) else {
            return pages.message(
                title: "No such user", text: "There is no user called \(name).", link: ("Back", "/hub/admin"),
                status: .notFound, userName: admin.name)
        }
        context.logger.notice(
            "administrator started a session", metadata: ["admin": "\(admin.name)", "user": "\(name)"])
        _ = await context.sessions.requestSpawn(
            user, options: user.savedOptions ?? SessionOptions.defaults(context.settings))
        return Response(status: .seeOther, headers: [.location: "/hub/admin"])
    }

    /// Creates accounts (with generated passwords, shown once) for a list of names, optionally in a group. Every
    /// name is checked first, and nothing is created if one is invalid or taken.
    func addUsers(_ admin: HubUser, _ request: Request) async throws -> Response {
        let form = try await PagesController.form(request)
        try await pagesController.checkCSRF(request, form: form)
        let names = (form["names"] ?? "").split(whereSeparator: { $0.isNewline || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let group = (form["group"] ?? "").trimmingCharacters(in: .whitespaces)
        var problems = names.filter { !AccountName.isValid($0) }.map {
            "'\($0)' is not a valid name (use a–z, 0–9, '.', '_' and '-', at most 32 characters)"
        }
        if !group.isEmpty, !AccountName.isValid(group) { problems.append("'\(group)' is not a valid group name") }
        if Set(names).count != names.count { problems.append("a name appears twice") }
        if names.isEmpty { problems.append("no names were given") }
        if problems.isEmpty {
            for name in names where try await accounts.exists(name) { problems.append("'\(name)' exists already") }
        }
        guard problems.isEmpty else {
            return pages.message(
                title: "Nothing was added", text: problems.joined(separator: "; ") + ".", link: ("Back", "/hub/admin"),
                status: .badRequest, userName: admin.name)
        }
        let groups = group.isEmpty ? [] : [group]
        var created: [[String: String]] = []
        for name in names {
            switch try await accounts.create(name, groups: groups) {
            case .created(let password):
                created.append(["name": name, "password": password])
                _ = try await context.users.upsert(name: name, isAdmin: false, groups: groups, now: Timestamps.now())
            case .exists:
                created.append(["name": name, "password": "(exists already; unchanged)"])
            case .refused(let reason):
                created.append(["name": name, "password": "(not created: \(reason))"])
            }
        }
        context.logger.notice(
            "administrator added people", metadata: ["admin": "\(admin.name)", "count": "\(created.count)"])
        var values = pagesController.base(admin, title: "People added")
        values["created"] = created
        return pages.render("added", values)
    }
}
