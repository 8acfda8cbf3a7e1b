import CygnetRuntime
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// The OCS Share API (`/ocs/v{1,2}.php/apps/files_sharing/api/v1/shares`), as Nextcloud's clients and web pages
/// speak it: share a folder with a user, a group or by public link (optionally with a password and an expiry
/// date), list what one shared or received, change or end a share.
struct ShareController: Sendable {
    let authenticator: StorageAuthenticator
    let spaces: SpaceDirectory
    let shares: ShareStore
    let index: FileIndex
    let instanceID: String
    let publicURL: String

    static let base = "apps/files_sharing/api/v1/shares"

    func addRoutes(to router: Router<StorageRequestContext>) {
        for version in ["v1", "v2"] {
            let path = RouterPath("ocs/\(version).php/\(Self.base)")
            router.get(path) { request, _ in try await respond(request, version) { try await list(request, $0) } }
            router.post(path) { request, _ in try await respond(request, version) { try await create(request, $0) } }
            let one = RouterPath("ocs/\(version).php/\(Self.base)/:id")
            router.get(one) { request, context in
                try await respond(request, version) { try await show(context.parameters.get("id") ?? "", $0) }
            }
            router.put(one) { request, context in
                try await respond(request, version) {
                    try await update(context.parameters.get("id") ?? "", request: request, $0)
                }
            }
            router.delete(one) { request, context in
                try await respond(request, version) { try await remove(context.parameters.get("id") ?? "", $0) }
            }
        }
    }

    /// Authenticates, runs the action and wraps its data (or its error) in the OCS envelope.
    func respond(
        _ request: Request, _ version: String, _ action: (StorageIdentity) async throws -> Any
    ) async throws -> Response {
        do {
            let identity = try await authenticator.identity(for: request.headers)
            return OCSController.envelope(try await action(identity), version: version, request: request)
        } catch let error as StorageError {
            return OCSController.failure(error, version: version, request: request)
        }
    }

    func list(_ request: Request, _ identity: StorageIdentity) async throws -> Any {
        let query = request.uri.queryParameters
        let found: [Share]
        if query.get("shared_with_me") == "true" {
            found = try await shares.received(by: identity.name, groups: identity.groups)
        } else if let path = query.get("path") {
            found = try await shares.owned(by: identity.name, path: try SpacePath(plain: path))
        } else {
            found = try await shares.owned(by: identity.name)
        }
        var result: [[String: Any]] = []
        for share in found { result.append(try await describe(share)) }
        return result
    }

    func show(_ id: String, _ identity: StorageIdentity) async throws -> Any {
        [try await describe(try await ownShare(id, identity))]
    }

    func create(_ request: Request, _ identity: StorageIdentity) async throws -> Any {
        let form = try await Self.parameters(request)
        guard let pathText = form["path"], !pathText.isEmpty else {
            throw StorageError(.badRequest, "Say what to share: the path parameter is missing")
        }
        let path = try SpacePath(plain: pathText)
        guard !path.isRoot else { throw StorageError(.forbidden, "Share a folder, not all your files") }
        let space = try await spaces.space(for: identity.name)
        guard let entry = try await NIOThreadPool.singleton.runIfActive({ try space.entry(path) }) else {
            throw StorageError(.notFound, "\(pathText) does not exist in your files")
        }
        guard entry.isDirectory else {
            throw StorageError(.badRequest, "Only folders (projects) can be shared; put the file in a folder")
        }
        guard let typeText = form["shareType"], let typeNumber = Int(typeText),
            let kind = Share.Kind(rawValue: typeNumber)
        else { throw StorageError(.badRequest, "shareType must be 0 (a user), 1 (a group) or 3 (a public link)") }
        var share = Share(
            id: String(Int64.random(in: 100_000...999_999_999_999)), owner: identity.name, path: path,
            isDirectory: true, kind: kind, recipient: nil, permissions: .read, token: nil, passwordHash: nil,
            expires: nil, label: form["label"] ?? "", createdAt: Int64(Date().timeIntervalSince1970))
        switch kind {
        case .user, .group:
            guard let recipient = form["shareWith"], AccountName.isValid(recipient) else {
                throw StorageError(.badRequest, "shareWith must name a \(kind == .user ? "user" : "group")")
            }
            if kind == .user && recipient == identity.name {
                throw StorageError(.badRequest, "You cannot share with yourself")
            }
            share.recipient = recipient
            share.permissions = try Self.permissions(form["permissions"], default: .all)
        case .publicLink:
            share.token = Self.newToken()
            share.permissions = try Self.permissions(form["permissions"], default: .read)
            if form["publicUpload"] == "true" { share.permissions.formUnion([.read, .update, .create, .delete]) }
        }
        try await apply(form, to: &share)
        try await shares.create(share)
        return try await describe(share)
    }

    func update(_ id: String, request: Request, _ identity: StorageIdentity) async throws -> Any {
        var share = try await ownShare(id, identity)
        let form = try await Self.parameters(request)
        if let permissions = form["permissions"] {
            share.permissions = try Self.permissions(permissions, default: .read)
        }
        if let label = form["label"] { share.label = label }
        try await apply(form, to: &share)
        try await shares.update(share)
        return try await describe(share)
    }

    func remove(_ id: String, _ identity: StorageIdentity) async throws -> Any {
        _ = try await ownShare(id, identity)
        try await shares.delete(id: id)
        return [String: Any]()
    }

    /// Password and expiry date, for links (and expiry for any share).
    func apply(_ form: URLEncodedForm, to share: inout Share) async throws {
        if let password = form["password"] {
            guard share.kind == .publicLink else { throw StorageError(.badRequest, "Only links have passwords") }
            share.passwordHash = password.isEmpty ? nil : try await PasswordHasher().hash(password)
        }
        if let date = form["expireDate"] {
            share.expires = try date.isEmpty ? nil : Self.endOfDay(date)
        }
    }

    func ownShare(_ id: String, _ identity: StorageIdentity) async throws -> Share {
        guard let share = try await shares.find(id: id), share.owner == identity.name else {
            throw StorageError(.notFound, "You have no share with the id \(id)")
        }
        return share
    }

    func describe(_ share: Share) async throws -> [String: Any] {
        let space = try await spaces.space(for: share.owner)
        let path = share.path
        let entry = try await NIOThreadPool.singleton.runIfActive { try space.entry(path) }
        var fileID: Int64?
        if let entry { fileID = try await index.record(space: share.owner, path: path, entry: entry).id }
        var result: [String: Any] = [
            "id": share.id, "share_type": share.kind.rawValue, "uid_owner": share.owner,
            "displayname_owner": share.owner, "uid_file_owner": share.owner, "displayname_file_owner": share.owner,
            "permissions": share.permissions.rawValue, "stime": share.createdAt, "path": "/" + share.path.description,
            "item_type": share.isDirectory ? "folder" : "file",
            "mimetype": share.isDirectory ? "httpd/unix-directory" : ContentTypes.type(of: share.name),
            "file_target": "/" + share.name, "label": share.label, "expiration": NSNull(), "token": NSNull(),
            "share_with": share.recipient ?? NSNull(), "share_with_displayname": share.recipient ?? NSNull(),
            "item_source": fileID ?? 0, "file_source": fileID ?? 0, "has_password": share.passwordHash != nil,
        ]
        if let expires = share.expires {
            let day = Date(timeIntervalSince1970: TimeInterval(expires - 1))
            result["expiration"] = Self.dayFormatter.string(from: day) + " 00:00:00"
        }
        if let token = share.token {
            result["token"] = token
            result["url"] = publicURL + "/s/" + token
        }
        return result
    }

    static let dayFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    /// `YYYY-MM-DD` → the first second after that day (UTC): the share works through the whole day.
    static func endOfDay(_ text: String) throws(StorageError) -> Int64 {
        guard let day = dayFormatter.date(from: String(text.prefix(10))) else {
            throw StorageError(.badRequest, "expireDate must be a date like 2026-12-31, not \(text)")
        }
        return Int64(day.timeIntervalSince1970) + 86400
    }

    static func permissions(_ text: String?, default value: SharePermissions) throws(StorageError) -> SharePermissions {
        guard let text else { return value }
        guard let number = Int(text), (1...31).contains(number), number & 1 == 1 else {
            throw StorageError(.badRequest, "permissions must be 1 (read) to 31 (everything), read included")
        }
        return SharePermissions(rawValue: number)
    }

    /// Parameters from the query string and a form or JSON body (clients send all three).
    static func parameters(_ request: Request) async throws -> URLEncodedForm {
        let body = try await request.body.collect(upTo: 64 * 1024)
        var text = request.uri.query ?? ""
        if request.headers[.contentType]?.contains("json") == true,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        {
            var components = URLComponents()
            components.queryItems = object.map { URLQueryItem(name: $0.key, value: "\($0.value)") }
            text += "&" + (components.percentEncodedQuery ?? "")
        } else {
            text += "&" + String(buffer: body)
        }
        return URLEncodedForm(encoded: Substring(text))
    }

    /// 15 letters and digits, as Nextcloud's link tokens.
    static func newToken() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<15).map { _ in alphabet.randomElement()! })
    }
}
