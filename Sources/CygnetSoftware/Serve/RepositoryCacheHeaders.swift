public import Hummingbird

/// Cache-Control for repository files, so any HTTP cache in front (Squid, nginx, a CDN) does the right thing:
/// objects are named by their content and never change; the manifest and whitelist change at each publish.
public struct RepositoryCacheHeaders<Context: RequestContext>: RouterMiddleware {
    let manifestMaxAge: Int

    public init(manifestMaxAge: Int = 61) {
        self.manifestMaxAge = manifestMaxAge
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        guard response.status == .ok || response.status == .partialContent || response.status == .notModified else {
            response.headers[.cacheControl] = "no-store"
            return response
        }
        let path = request.uri.path
        if path.contains("/data/") {
            response.headers[.cacheControl] = "public, max-age=31536000, immutable"
        } else if path.hasSuffix("/.cvmfspublished") || path.hasSuffix("/.cvmfswhitelist") {
            response.headers[.cacheControl] = "public, max-age=\(manifestMaxAge)"
        } else {
            response.headers[.cacheControl] = "no-cache"
        }
        return response
    }
}
