import CygnetRuntime
import Foundation
import Hummingbird
import Logging

/// The admin REST API for users and groups under `/auth/admin`, for tokens holding the `cygnet:admin` scope.
struct AdminController: Sendable {
    let context: AuthContext
    var checker: AccessTokenChecker { AccessTokenChecker(context: context) }

    struct NewUserBody: Decodable {
        var username: String
        var name: String?
        var email: String?
        var password: String?
        var groups: [String]?
        var admin: Bool?
    }

    struct UserChangeBody: Decodable {
        var name: String?
        var email: String?
        var password: String?
        var disabled: Bool?
        var admin: Bool?
    }

    struct GroupBody: Decodable {
        var name: String
        var description: String?
    }

    struct MemberBody: Decodable {
        var username: String
    }

    struct CreatedUser: Encodable {
        var user: Account
        var password: String?
    }

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        let admin = group.group("admin")
        admin.get("users") { request, _ in
            try await authorize(request)
            return try TokenController.json(try await context.accounts.users.list())
        }
        admin.post("users") { request, _ in
            let actor = try await authorize(request)
            let body = try await decode(NewUserBody.self, from: request)
            let generated = body.password == nil ? AccountService.generatePassword() : nil
            let account = try await context.accounts.add(
                NewAccount(
                    username: body.username, displayName: body.name ?? "", email: body.email ?? "",
                    password: body.password ?? generated!, isAdmin: body.admin ?? false, groups: body.groups ?? []))
            context.logger.notice("user created", metadata: ["user": "\(account.username)", "by": "\(actor)"])
            return try TokenController.json(CreatedUser(user: account, password: generated), status: .created)
        }
        admin.get("users/:username") { request, requestContext in
            try await authorize(request)
            return try TokenController.json(try await user(requestContext))
        }
        admin.patch("users/:username") { request, requestContext in
            let actor = try await authorize(request)
            let username = try requestContext.parameters.require("username")
            let body = try await decode(UserChangeBody.self, from: request)
            try await change(username, body)
            context.logger.notice("user changed", metadata: ["user": "\(username)", "by": "\(actor)"])
            return try TokenController.json(try await user(requestContext))
        }
        admin.delete("users/:username") { request, requestContext in
            let actor = try await authorize(request)
            let account = try await user(requestContext)
            try await context.grants.revokeAll(userID: account.id, now: AuthContext.now())
            try await context.accounts.users.delete(username: account.username)
            context.logger.notice("user deleted", metadata: ["user": "\(account.username)", "by": "\(actor)"])
            return Response(status: .noContent)
        }
        addGroupRoutes(to: admin)
    }

    func addGroupRoutes(to admin: RouterGroup<AuthRequestContext>) {
        admin.get("groups") { request, _ in
            try await authorize(request)
            return try TokenController.json(try await context.accounts.groups.list())
        }
        admin.post("groups") { request, _ in
            try await authorize(request)
            let body = try await decode(GroupBody.self, from: request)
            try AccountValidation.checkGroupName(body.name)
            try await context.accounts.groups.create(
                body.name, description: body.description ?? "", now: AuthContext.now())
            return try TokenController.json(
                AccountGroup(name: body.name, description: body.description ?? ""), status: .created)
        }
        admin.delete("groups/:group") { request, requestContext in
            try await authorize(request)
            try await context.accounts.groups.delete(try requestContext.parameters.require("group"))
            return Response(status: .noContent)
        }
        admin.get("groups/:group/members") { request, requestContext in
            try await authorize(request)
            let name = try requestContext.parameters.require("group")
            guard let group = try await context.accounts.groups.find(name) else {
                throw AuthError(.notFound, "there is no group named '\(name)'")
            }
            return try TokenController.json(group.members)
        }
        admin.post("groups/:group/members") { request, requestContext in
            try await authorize(request)
            let body = try await decode(MemberBody.self, from: request)
            try await context.accounts.groups.addMembers(
                [body.username], to: try requestContext.parameters.require("group"))
            return Response(status: .noContent)
        }
        admin.delete("groups/:group/members/:username") { request, requestContext in
            try await authorize(request)
            try await context.accounts.groups.removeMembers(
                [try requestContext.parameters.require("username")],
                from: try requestContext.parameters.require("group"))
            return Response(status: .noContent)
        }
    }

    /// Checks the admin scope; returns who acts, for the log.
    @discardableResult
    func authorize(_ request: Request) async throws -> String {
        let checked = try await checker.require(request, scope: RegisteredClient.adminScope)
        return checked.account?.username ?? "client:\(checked.claims.clientID)"
    }

    func user(_ requestContext: AuthRequestContext) async throws -> Account {
        let username = try requestContext.parameters.require("username")
        guard let account = try await context.accounts.users.find(username: username) else {
            throw AuthError(.notFound, "there is no user named '\(username)'")
        }
        return account
    }

    func change(_ username: String, _ body: UserChangeBody) async throws {
        if let name = body.name { try AccountValidation.checkDisplayName(name) }
        if let email = body.email { try AccountValidation.checkEmail(email) }
        let users = context.accounts.users
        guard let account = try await users.find(username: username) else {
            throw AuthError(.notFound, "there is no user named '\(username)'")
        }
        if body.name != nil || body.email != nil {
            try await users.setProfile(username: username, displayName: body.name, email: body.email)
        }
        if let password = body.password {
            try await context.accounts.setPassword(username: username, password: password)
        }
        if let admin = body.admin { try await users.setAdmin(username: username, admin) }
        if let disabled = body.disabled {
            try await users.setDisabled(username: username, disabled)
            if disabled { try await context.grants.revokeAll(userID: account.id, now: AuthContext.now()) }
        }
    }

    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw AuthError(.invalidInput, "send a JSON body with Content-Type: application/json")
        }
        let buffer = try await request.body.collect(upTo: context.settings.maximumRequestBytes)
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch {
            throw AuthError(.invalidInput, "the JSON body is not valid: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "the field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "the field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: "it could not be parsed"
        }
    }
}
