import CygnetRuntime
import Foundation
import Hummingbird

/// The hub's pages: home, the session form, spawn progress, "not running" and the stop button.
struct PagesController: Sendable {
    let context: HubContext
    let resolver: IdentityResolver
    let pages: HubPages

    static let csrfCookie = "_xsrf"

    func addRoutes(to router: Router<HubRequestContext>) {
        let hub = router.group("hub")
        router.get("") { _, _ in Response(status: .found, headers: [.location: "/hub/"]) }
        hub.get("") { request, _ in try await withUser(request) { try await home($0, request) } }
        hub.get("home") { request, _ in try await withUser(request) { try await home($0, request) } }
        hub.get("spawn") { request, _ in try await withUser(request) { try await spawnPage($0, request) } }
        hub.post("spawn") { request, _ in try await withUser(request) { try await submitSpawn($0, request) } }
        hub.get("spawn-pending/:name") { request, route in
            let name = try route.name()
            return try await withUser(request) { try await pending($0, name: name) }
        }
        hub.post("stop") { request, _ in
            try await withUser(request) { user in
                try await checkCSRF(request)
                await context.sessions.requestStop(user.name)
                return Response(status: .seeOther, headers: [.location: "/hub/home"])
            }
        }
        // A stopped session's paths fall through the proxy to the hub (contract §8).
        router.get("user/:name/**") { request, _ in
            Response(status: .found, headers: [.location: "/hub" + request.uri.path + Self.query(request)])
        }
        router.get("user/:name") { request, _ in
            Response(status: .found, headers: [.location: "/hub" + request.uri.path + "/" + Self.query(request)])
        }
        hub.get("user/:name/**") { request, route in try await notRunning(request, name: try route.name()) }
        hub.get("user/:name") { request, route in try await notRunning(request, name: try route.name()) }
    }

    static func query(_ request: Request) -> String {
        request.uri.query.map { "?" + $0 } ?? ""
    }

    /// Runs `body` for the signed-in user, or sends the browser to sign in first.
    func withUser(_ request: Request, _ body: (HubUser) async throws -> Response) async throws -> Response {
        guard let identity = try await resolver.identifyBrowser(request), let user = identity.user else {
            var components = URLComponents()
            components.path = "/hub/login"
            components.queryItems = [URLQueryItem(name: "next", value: request.uri.path + Self.query(request))]
            return Response(status: .found, headers: [.location: components.string!])
        }
        return try await body(user)
    }

    /// The double-submit token for this browser, and a cookie to set when it is new.
    func csrf(_ request: Request) -> (token: String, cookie: Cookie?) {
        if let existing = request.cookies[Self.csrfCookie]?.value, existing.count >= 32 { return (existing, nil) }
        let token = SecretDigest.newSecret()
        return (
            token,
            Cookie(
                name: Self.csrfCookie, value: token, path: "/hub/", secure: context.isSecure, httpOnly: true,
                sameSite: .strict)
        )
    }

    func checkCSRF(_ request: Request, form: URLEncodedForm? = nil) async throws {
        let fields: URLEncodedForm
        if let form {
            fields = form
        } else {
            fields = try await Self.form(request)
        }
        guard let cookie = request.cookies[Self.csrfCookie]?.value, cookie.count >= 32,
            let sent = fields["_xsrf"], ConstantTime.equals(cookie, sent)
        else {
            throw HTTPError(
                .forbidden,
                message:
                    "This form is out of date (it was opened in another window or long ago). Go back, reload the page and try again."
            )
        }
    }

    static func form(_ request: Request) async throws -> URLEncodedForm {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 128 * 1024)
        } catch {
            throw HTTPError(.contentTooLarge, message: "The form is larger than 128 KB.")
        }
        return URLEncodedForm(encoded: Substring(String(buffer: buffer)))
    }

    func base(_ user: HubUser, title: String, csrfToken: String? = nil) -> [String: Any] {
        var values: [String: Any] = ["title": title, "userName": user.name, "isAdmin": user.isAdmin]
        if let csrfToken { values["csrfToken"] = csrfToken }
        return values
    }

    func home(_ user: HubUser, _ request: Request) async throws -> Response {
        let (token, cookie) = csrf(request)
        var values = base(user, title: "Home", csrfToken: token)
        if let notice = user.notice {
            values["notice"] = notice
            try await context.users.setNotice(nil, for: user.name)
        }
        let session = await context.sessions.session(of: user.name)
        switch session?.phase {
        case .ready?:
            let options = session!.options
            values["running"] = [
                "stack": options.stack, "cores": options.cores, "memory": options.memoryMB,
                "started": Timestamps.format(session!.startedAt), "url": Self.target(user: user.name, options: options),
            ]
        case .spawning?, .stopping?:
            values["pending"] = true
        case nil:
            values["stopped"] = ["saved": user.savedOptions != nil]
            if let failure = await context.sessions.lastFailure(of: user.name) {
                values["failure"] = ["lines": failure.map(\.message)]
            }
        }
        var response = pages.render("home", values)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// Where to send the browser once the session is ready: the file to open, or JupyterLab.
    static func target(user: String, options: SessionOptions) -> String {
        let prefix = SessionManager.prefix(of: user)
        guard let open = options.open else { return prefix }
        let encoded = open.split(separator: "/").map {
            String($0).addingPercentEncoding(
                withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/?#"))) ?? ""
        }.joined(separator: "/")
        return prefix + "lab/tree/" + encoded
    }

    /// `GET /hub/spawn`: with choices in the URL (a launch link) or saved ones, start at once; else show the form.
    func spawnPage(_ user: HubUser, _ request: Request) async throws -> Response {
        let query = URLEncodedForm(encoded: Substring(request.uri.query ?? ""))
        if let session = await context.sessions.session(of: user.name) {
            let target = Self.target(user: user.name, options: session.options)
            let location = session.phase == .ready ? target : "/hub/spawn-pending/\(user.name)"
            return Response(status: .found, headers: [.location: location])
        }
        let launchKeys: Set<String> = ["stack", "cores", "memory_mb", "memory", "open"]
        let fromLink = !Set(query.values.keys).isDisjoint(with: launchKeys) && query["form"] == nil
        if fromLink {
            do {
                var fields = query.values
                fields["startup_script"] = nil  // a link never runs code for someone
                let options = try SessionOptions.parse(fields, settings: context.settings, groups: user.groups)
                return await begin(user, options: options)
            } catch {
                return spawnForm(user, request, chosen: [:], problems: error.problems, status: .badRequest)
            }
        }
        if var saved = user.savedOptions, query["form"] == nil {
            saved.open = nil
            return await begin(user, options: saved)
        }
        return spawnForm(user, request, chosen: query.values, problems: [])
    }

    func submitSpawn(_ user: HubUser, _ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        try await checkCSRF(request, form: form)
        do {
            let options = try SessionOptions.parse(form.values, settings: context.settings, groups: user.groups)
            if form["always"] != nil {
                var saved = options
                saved.open = nil
                try await context.users.setSavedOptions(saved, for: user.name)
            } else if user.savedOptions != nil {
                try await context.users.setSavedOptions(nil, for: user.name)
            }
            return await begin(user, options: options)
        } catch let error as SessionOptionsError {
            return spawnForm(user, request, chosen: form.values, problems: error.problems, status: .badRequest)
        }
    }

    func begin(_ user: HubUser, options: SessionOptions) async -> Response {
        _ = await context.sessions.requestSpawn(user, options: options)
        return Response(status: .seeOther, headers: [.location: "/hub/spawn-pending/\(user.name)"])
    }

    func spawnForm(
        _ user: HubUser, _ request: Request, chosen: [String: String], problems: [String],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let (token, cookie) = csrf(request)
        let settings = context.settings
        let defaults = user.savedOptions ?? SessionOptions.defaults(settings)
        let maxima = SessionOptions.maxima(settings, groups: user.groups)
        let stack = chosen["stack"] ?? defaults.stack
        let cores = Int(chosen["cores"] ?? "") ?? defaults.cores
        let memory = chosen["memory_mb"].flatMap { SessionOptions.parseMemory($0) } ?? defaults.memoryMB
        var memoryChoices = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].filter { $0 <= maxima.memoryMB }
        if !memoryChoices.contains(maxima.memoryMB) { memoryChoices.append(maxima.memoryMB) }
        if !memoryChoices.contains(settings.limits.defaultMemoryMB) {
            memoryChoices.append(settings.limits.defaultMemoryMB)
        }
        var values = base(user, title: "Start your session", csrfToken: token)
        values["hasProblems"] = !problems.isEmpty
        values["problems"] = problems
        values["stacks"] = settings.stacks.map {
            ["name": $0.name, "description": $0.description, "selected": $0.name == stack] as [String: Any]
        }
        values["cores"] = (1...maxima.cores).map { ["value": $0, "selected": $0 == cores] as [String: Any] }
        values["memory"] = memoryChoices.sorted().map {
            [
                "value": $0, "label": $0 >= 1024 && $0 % 1024 == 0 ? "\($0 / 1024) GB" : "\($0) MB",
                "selected": $0 == memory,
            ] as [String: Any]
        }
        values["startupScript"] = chosen["startup_script"] ?? defaults.startupScript
        values["always"] = user.savedOptions != nil
        if let open = chosen["open"].flatMap(SessionOptions.checkedOpenPath) { values["open"] = open }
        let launchBase = context.appliance.publicURL + "/hub/spawn"
        var components = URLComponents(string: launchBase)!
        components.queryItems = SessionOptions(stack: stack, cores: cores, memoryMB: memory).queryItems
        values["launchLink"] = components.string!
        values["launchBaseJSON"] = Self.jsonString(launchBase)
        var response = pages.render("spawn", values, status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }

    func pending(_ user: HubUser, name: String) async throws -> Response {
        guard name == user.name || user.isAdmin else {
            return pages.message(
                title: "Not your session", text: "This page belongs to someone else.", link: ("Home", "/hub/home"),
                status: .forbidden, userName: user.name)
        }
        let session = await context.sessions.session(of: name)
        let failure = await context.sessions.lastFailure(of: name)
        let events = session?.events ?? failure ?? []
        if session?.phase == .ready {
            return Response(
                status: .found, headers: [.location: Self.target(user: name, options: session!.options)])
        }
        guard session != nil || !events.isEmpty else {
            return Response(status: .found, headers: [.location: "/hub/home"])
        }
        let target = session.map { Self.target(user: name, options: $0.options) } ?? SessionManager.prefix(of: name)
        var values = base(user, title: "Starting your session")
        values["progress"] = events.last?.progress ?? 0
        values["lines"] = events.map(\.message)
        values["url"] = target
        values["refresh"] = session == nil ? nil : 3
        values["targetJSON"] = Self.jsonString(target)
        values["progressJSON"] = Self.jsonString("/hub/api/users/\(name)/server/progress")
        return pages.render("pending", values)
    }

    /// `/hub/user/<name>/…` when no route exists: the session is not running (or still starting).
    func notRunning(_ request: Request, name: String) async throws -> Response {
        let wantsJSON =
            (request.headers[.accept] ?? "").contains("application/json") || request.uri.path.contains("/api/")
        let session = await context.sessions.session(of: name)
        if session?.phase == .spawning {
            return Response(status: .seeOther, headers: [.location: "/hub/spawn-pending/\(name)"])
        }
        if session?.phase == .ready {
            // The route was added a moment ago: go back to the session.
            return Response(
                status: .found,
                headers: [.location: String(request.uri.path.dropFirst("/hub".count)) + Self.query(request)])
        }
        if wantsJSON {
            return try JSONResponse.make(
                ["status": 424, "message": "The session of \(name) is not running"],
                status: .init(code: 424, reasonPhrase: "Failed Dependency"))
        }
        guard let identity = try await resolver.identifyBrowser(request), let user = identity.user else {
            var components = URLComponents()
            components.path = "/hub/login"
            components.queryItems = [URLQueryItem(name: "next", value: request.uri.path)]
            return Response(status: .found, headers: [.location: components.string!])
        }
        guard user.name == name else {
            return pages.message(
                title: "Not your session", text: "This address belongs to someone else's session.",
                link: ("Go to your home page", "/hub/home"), status: .forbidden, userName: user.name)
        }
        let notice = user.notice
        if notice != nil { try await context.users.setNotice(nil, for: name) }
        return pages.message(
            title: "Your session is not running", text: "Start it to continue where you left off; your files are kept.",
            notice: notice, link: ("Start my session", "/hub/spawn"), isError: false,
            status: .init(code: 424, reasonPhrase: "Failed Dependency"),
            userName: name)
    }

    /// A JavaScript string literal, safe inside a `<script>` element.
    static func jsonString(_ text: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]))
            ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast()).replacingOccurrences(of: "<", with: "\\u003c")
    }
}
