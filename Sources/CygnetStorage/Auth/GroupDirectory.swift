public import AsyncHTTPClient
public import CygnetRuntime
import Foundation
public import Logging
import NIOCore
import NIOFoundationCompat

/// The groups each user is in, asked of cygnet-auth's admin API with storage's own client-credentials token, and
/// remembered for a minute: a sync client signs in with an app password, which says nothing about groups, yet
/// group shares and group quotas need them.
public actor GroupDirectory {
    let usersURL: String
    let credentials: ClientCredentials
    let httpClient: HTTPClient
    let logger: Logger
    private var cache: [String: (groups: [String], at: ContinuousClock.Instant)] = [:]

    static let lifetime = Duration.seconds(60)

    public init(authURL: String, credentials: ClientCredentials, httpClient: HTTPClient = .shared, logger: Logger) {
        usersURL = authURL + "/admin/users/"
        self.credentials = credentials
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The user's groups; none when cygnet-auth cannot be asked (logged), so a failure only hides group shares.
    public func groups(of user: String) async -> [String] {
        if let known = cache[user], ContinuousClock.now - known.at < Self.lifetime { return known.groups }
        do {
            var request = HTTPClientRequest(url: usersURL + ClientCredentials.formEncode(user))
            request.headers.add(name: "Authorization", value: "Bearer " + (try await credentials.accessToken()))
            let response = try await httpClient.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            let groups: [String]
            switch response.status.code {
            case 200:
                let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
                groups = object?["groups"] as? [String] ?? []
            case 404: groups = []
            default:
                logger.warning(
                    "cygnet-auth did not list a user's groups",
                    metadata: ["user": "\(user)", "status": "\(response.status.code)"])
                return cache[user]?.groups ?? []
            }
            if cache.count > 10_000 { cache.removeAll() }
            cache[user] = (groups, .now)
            return groups
        } catch {
            logger.warning(
                "cannot ask cygnet-auth for a user's groups", metadata: ["user": "\(user)", "error": "\(error)"])
            return cache[user]?.groups ?? []
        }
    }
}
