import AsyncHTTPClient
import CygnetRuntime
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Creates accounts in cygnet-auth for the admin page's "Add people", through cygnet-auth's admin API with a
/// client-credentials token of the hub's own (`cygnet up` lets the hub's client hold `cygnet:admin`).
actor AuthAdminClient {
    let settings: HubSettings
    let httpClient: HTTPClient
    private var token: (value: String, expires: ContinuousClock.Instant)?

    init(settings: HubSettings, httpClient: HTTPClient) {
        self.settings = settings
        self.httpClient = httpClient
    }

    enum Outcome: Sendable, Equatable {
        case created(password: String)
        case exists
        case refused(String)
    }

    /// Whether the account exists already.
    func exists(_ username: String) async throws -> Bool {
        let response = try await send(.GET, "/admin/users/\(username)", body: nil)
        return response.status == .ok
    }

    /// Creates the account with a generated password (returned, to be shown once) in `groups`.
    func create(_ username: String, groups: [String]) async throws -> Outcome {
        let body = try JSONSerialization.data(withJSONObject: ["username": username, "groups": groups])
        let response = try await send(.POST, "/admin/users", body: body)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
        switch response.status {
        case .created:
            return .created(password: object?["password"] as? String ?? "")
        case .conflict:
            return .exists
        default:
            let reason = object?["error_description"] as? String ?? object?["message"] as? String
            return .refused(reason ?? "the sign-in service answered \(response.status.code)")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?) async throws
        -> (status: HTTPResponseStatus, body: ByteBuffer)
    {
        var request = HTTPClientRequest(url: settings.authInternalURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(try await accessToken())")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        return (response.status, try await response.body.collect(upTo: 1024 * 1024))
    }

    private func accessToken() async throws -> String {
        if let token, ContinuousClock.now < token.expires { return token.value }
        let request = TokenEndpointRequest.make(
            settings: settings, form: [("grant_type", "client_credentials"), ("scope", "cygnet:admin")])
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status == .ok,
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let value = object["access_token"] as? String
        else {
            throw HubAPIError(
                .badGateway, "the sign-in service did not give the hub an administrator token (\(response.status.code))"
            )
        }
        let lifetime = (object["expires_in"] as? Int).map { max(10, $0 - 30) } ?? 60
        token = (value, ContinuousClock.now + .seconds(lifetime))
        return value
    }
}
