import CygnetRuntime
import CygnetStorage
import Foundation
import Hummingbird

/// "Your files on your computer": how to connect a sync app, and the person's own app passwords — made here
/// (shown once), listed with their last use, and revoked. The storage service checks them; they live in the shared
/// store, as for `cygnet users app-password`.
struct SyncController: Sendable {
    let context: HubContext
    let pagesController: PagesController
    let passwords: AppPasswordStore

    static let longestLabel = 100

    func addRoutes(to router: Router<HubRequestContext>) {
        let hub = router.group("hub")
        hub.get("sync") { request, _ in
            try await pagesController.withUser(request) { user in
                try await page(
                    user, request,
                    notice: request.uri.queryParameters["revoked"] != nil
                        ? "The app password was revoked. Apps that used it are signed out within a minute." : nil)
            }
        }
        hub.post("sync/passwords") { request, _ in
            try await pagesController.withUser(request) { user in
                let form = try await PagesController.form(request)
                try await pagesController.checkCSRF(request, form: form)
                let label = (form["label"] ?? "").trimmingWhitespace()
                if let problem = Self.problem(with: label) {
                    return try await page(user, request, problem: problem, status: .badRequest)
                }
                let (record, password) = try await passwords.create(
                    userName: user.name, label: label, now: Timestamps.now())
                return try await page(user, request, created: (record.label, password))
            }
        }
        hub.post("sync/passwords/:id/revoke") { request, route in
            let id = try route.parameters.require("id")
            return try await pagesController.withUser(request) { user in
                try await pagesController.checkCSRF(request)
                guard try await passwords.revoke(userName: user.name, id: id) else {
                    return try await page(
                        user, request, problem: "That app password does not exist (any more).", status: .notFound)
                }
                return Response(status: .seeOther, headers: [.location: "/hub/sync?revoked=1"])
            }
        }
    }

    /// What is wrong with a label, in words for the form.
    static func problem(with label: String) -> String? {
        if label.isEmpty { return "Name the computer or app the password is for, such as “my laptop”." }
        if label.count > longestLabel { return "Keep the name under \(longestLabel) characters." }
        if label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "The name cannot contain control characters."
        }
        return nil
    }

    func page(
        _ user: HubUser, _ request: Request, created: (label: String, password: String)? = nil,
        problem: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (token, cookie) = pagesController.csrf(request)
        var values = pagesController.base(user, title: "Your files on your computer", csrfToken: token)
        let server =
            context.appliance.publicURL.hasSuffix("/")
            ? String(context.appliance.publicURL.dropLast()) : context.appliance.publicURL
        values["serverURL"] = server
        values["davURL"] = server + "/remote.php/dav/files/" + user.name + "/"
        if let created { values["created"] = ["label": created.label, "password": created.password] }
        if let problem { values["problem"] = problem }
        if let notice { values["notice"] = notice }
        let existing = try await passwords.list(userName: user.name)
        values["hasPasswords"] = !existing.isEmpty
        values["passwords"] = existing.map { password -> [String: Any] in
            [
                "id": password.id, "label": password.label, "created": Timestamps.format(password.createdAt),
                "lastUsed": password.lastUsed.map(Timestamps.format) ?? "never",
            ]
        }
        var response = pagesController.pages.render("sync", values, status: status)
        if let cookie { response.setCookie(cookie) }
        return response
    }
}
