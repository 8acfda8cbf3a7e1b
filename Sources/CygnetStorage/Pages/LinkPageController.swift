import Crypto
import CygnetRuntime
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// `/s/<token>`: what a public link shows in a browser — the shared folder's files to browse and download, after
/// the link's password when it has one. The password is asked once; a cookie bound to the link (an HMAC keyed
/// with the password's hash, so changing the password signs everyone out) remembers it.
struct LinkPageController: Sendable {
    let controller: DAVController
    let shares: ShareStore
    let passwords: LinkPasswordCache
    let library: MustacheLibrary

    init(controller: DAVController, shares: ShareStore, passwords: LinkPasswordCache) throws {
        self.controller = controller
        self.shares = shares
        self.passwords = passwords
        var library = MustacheLibrary()
        for (name, text) in LinkPageTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func addRoutes(to router: Router<StorageRequestContext>) {
        router.get("s/:token") { request, context in try await show(request, context) }
        router.get("s/:token/**") { request, context in try await show(request, context) }
        router.post("s/:token") { request, context in try await unlock(request, context) }
    }

    func show(_ request: Request, _ context: StorageRequestContext) async throws -> Response {
        guard let share = try await liveShare(context) else { return gone() }
        guard isUnlocked(share, request) else {
            return render("password", ["title": share.name, "owner": share.owner, "action": "/s/\(share.token ?? "")"])
        }
        let rest = String(request.uri.path.dropFirst(("/s/" + (share.token ?? "")).count))
        let path = try SpacePath(encoded: Substring(rest))
        let location = try await controller.location(
            of: share, rest: path.segments, hrefBase: "/s/\(share.token ?? "")/")
        let space = location.space
        let target = location.path
        guard let entry = try await controller.blocking({ try space.entry(target) }) else {
            return render(
                "gone", ["title": "Not found", "text": "There is no \(path) in this folder."], status: .notFound)
        }
        if !entry.isDirectory {
            let identity = StorageIdentity(name: "link:" + (share.token ?? ""), groups: [], link: share)
            var response = try await controller.get(
                .init(request: request, identity: identity, location: location), includeBody: request.method != .head)
            response.headers[.contentDisposition] = "inline; filename*=UTF-8''" + SpacePath.percentEncoded(entry.name)
            return response
        }
        let children = try await controller.blocking { try space.list(target) }
            .filter { !$0.name.hasPrefix(".") }
            .sorted { ($0.isDirectory ? 0 : 1, $0.name.lowercased()) < ($1.isDirectory ? 0 : 1, $1.name.lowercased()) }
        let entries: [[String: Any]] = children.map { child in
            [
                "name": child.name, "folder": child.isDirectory,
                "href": location.href(target.appending(child.name), isDirectory: child.isDirectory),
                "size": child.isDirectory ? "" : ByteSize.describe(child.size),
                "modified": HTTPDate.format(seconds: child.modifiedSeconds),
            ]
        }
        var values: [String: Any] = [
            "title": path.isRoot ? share.name : share.name + "/" + path.description, "owner": share.owner,
            "entries": entries,
        ]
        if let parent = path.parent {
            values["up"] = location.href(share.path.appending(contentsOf: parent), isDirectory: true)
        }
        return render("listing", values)
    }

    func unlock(_ request: Request, _ context: StorageRequestContext) async throws -> Response {
        guard let share = try await liveShare(context), let token = share.token else { return gone() }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let password = URLEncodedForm(encoded: Substring(String(buffer: body)))["password"] ?? ""
        guard let hash = share.passwordHash else {
            return Response(status: .seeOther, headers: [.location: "/s/\(token)"])
        }
        guard try await passwords.verify(password, against: hash) else {
            return render(
                "password", ["title": share.name, "owner": share.owner, "action": "/s/\(token)", "wrong": true],
                status: .forbidden)
        }
        let cookie = "cygnet-link=\(Self.seal(token, with: hash)); Path=/s/\(token); HttpOnly; SameSite=Lax"
        return Response(status: .seeOther, headers: [.location: "/s/\(token)/", .setCookie: cookie])
    }

    func liveShare(_ context: StorageRequestContext) async throws -> Share? {
        guard let token = context.parameters.get("token"), token.count <= 64,
            let share = try await shares.find(token: token), !share.isExpired(now: Int64(Date().timeIntervalSince1970))
        else { return nil }
        return share
    }

    func isUnlocked(_ share: Share, _ request: Request) -> Bool {
        guard let hash = share.passwordHash, let token = share.token else { return true }
        let expected = Self.seal(token, with: hash)
        let cookies = request.headers[.cookie]?.split(separator: ";").map { $0.trimmingWhitespace() }
        return cookies?.contains { ConstantTime.equals($0, "cygnet-link=" + expected) } ?? false
    }

    static func seal(_ token: String, with passwordHash: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(token.utf8), using: SymmetricKey(data: Data(passwordHash.utf8)))
        return Data(mac).base64URLEncodedString()
    }

    func gone() -> Response {
        render(
            "gone", ["title": "Link not found", "text": "This link does not exist or has expired."], status: .notFound)
    }

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        HTMLPage.response(
            library.render(values, withTemplate: template) ?? "page \(template) is missing", status: status)
    }
}

extension SpacePath {
    func appending(contentsOf other: SpacePath) -> SpacePath {
        SpacePath(checkedSegments: segments + other.segments)
    }
}
