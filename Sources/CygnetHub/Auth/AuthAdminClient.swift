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
    let credentials: ClientCredentials

    init(settings: HubSettings, httpClient: HTTPClient) {
        self.settings = settings
        self.httpClient = httpClient
        self.credentials = ClientCredentials(
            tokenURL: settings.authInternalURL + "/token", clientID: settings.clientID,
            clientSecret: settings.clientSecret, scope: "cygnet:admin", httpClient: httpClient)
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
        do {
            return try await credentials.accessToken()
        } catch let failure as ClientCredentials.Failure {
            throw HubAPIError(.badGateway, failure.description)
        }
    }
}
