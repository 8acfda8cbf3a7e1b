public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A service's own access token from cygnet-auth (the client-credentials grant), fetched when first needed and
/// again shortly before it expires: how the hub and storage call cygnet-auth's admin API.
public actor ClientCredentials {
    let tokenURL: String
    let clientID: String
    let clientSecret: String
    let scope: String
    let httpClient: HTTPClient
    private var token: (value: String, expires: ContinuousClock.Instant)?

    public init(
        tokenURL: String, clientID: String, clientSecret: String, scope: String, httpClient: HTTPClient = .shared
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.httpClient = httpClient
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// A valid token, from the cache or a new grant.
    public func accessToken() async throws -> String {
        if let token, ContinuousClock.now < token.expires { return token.value }
        var request = HTTPClientRequest(url: tokenURL)
        request.method = .POST
        let credentials = "\(Self.formEncode(clientID)):\(Self.formEncode(clientSecret))"
        request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&scope=\(Self.formEncode(scope))"))
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status == .ok,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let value = object["access_token"] as? String
        else {
            throw Failure(description: "the sign-in service refused \(clientID) a token (\(response.status.code))")
        }
        let lifetime = (object["expires_in"] as? Int).map { max(10, $0 - 30) } ?? 60
        token = (value, ContinuousClock.now + .seconds(lifetime))
        return value
    }

    /// `application/x-www-form-urlencoded` value encoding (RFC 6749 appendix B, also for Basic credentials).
    public static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
