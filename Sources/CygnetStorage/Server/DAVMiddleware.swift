import Hummingbird

/// Sends requests under the WebDAV roots to the DAV controller (after authentication) and everything else on.
/// A middleware rather than routes: DAV paths are any depth, use methods the router does not know, and must be
/// decoded segment by segment (an encoded slash is part of a name, never a separator).
struct DAVMiddleware: RouterMiddleware {
    typealias Context = StorageRequestContext
    let controller: DAVController
    let authenticator: StorageAuthenticator

    func handle(
        _ request: Request, context: StorageRequestContext,
        next: (Request, StorageRequestContext) async throws -> Response
    ) async throws -> Response {
        let rawPath = Substring(request.uri.path)
        guard rawPath.hasPrefix("/remote.php/") || rawPath.hasPrefix("/public.php/") else {
            return try await next(request, context)
        }
        do {
            if rawPath == DAVController.bulkPath {
                let identity = try await authenticator.identity(for: request.headers)
                return try await controller.bulkUpload(request, identity: identity)
            }
            if rawPath.hasPrefix(DAVController.versionsRoot) {
                let identity = try await authenticator.identity(for: request.headers)
                return try await controller.handleVersions(
                    request, rawPath: rawPath, identity: identity, channel: context.channel)
            }
            if rawPath.hasPrefix(DAVController.trashRoot) {
                let identity = try await authenticator.identity(for: request.headers)
                return try await controller.handleTrash(request, rawPath: rawPath, identity: identity)
            }
            if rawPath.hasPrefix(DAVController.uploadsRoot) {
                let identity = try await authenticator.identity(for: request.headers)
                return try await controller.handleUpload(request, rawPath: rawPath, identity: identity)
            }
            guard let target = try DAVTarget(rawPath: rawPath) else {
                throw StorageError(.notFound, "There is nothing at \(rawPath)")
            }
            if request.method == .options && request.headers[.authorization] == nil { return controller.options() }
            let identity: StorageIdentity
            if case .publicLink(let token) = target.tree {
                identity = try await authenticator.linkIdentity(token: token, headers: request.headers)
            } else {
                identity = try await authenticator.identity(for: request.headers)
            }
            return try await controller.handle(request, target: target, identity: identity, channel: context.channel)
        } catch let error as StorageError {
            return DAVController.errorResponse(error, method: request.method)
        }
    }
}
