import CygnetRuntime
import Foundation
import Hummingbird

/// Identifies the client calling a back-channel endpoint: `client_secret_basic`, `client_secret_post`, or a public
/// client naming itself with `client_id` (allowed only where the endpoint permits it).
struct ClientAuthenticator: Sendable {
    let clients: ClientDirectory

    func authenticate(_ request: Request, form: FormParameters, allowPublic: Bool) async throws -> RegisteredClient {
        let (clientID, secret) = try credentials(request, form: form)
        guard let client = try await clients.find(id: clientID) else {
            throw OAuthError.invalidClient("the client is not registered")
        }
        if client.isPublic {
            guard secret == nil else { throw OAuthError.invalidClient("a public client has no secret") }
            guard allowPublic else { throw OAuthError.invalidClient("this endpoint needs a confidential client") }
            return client
        }
        guard let secret, let digest = client.secretHash, SecretDigest.matches(secret, digest: digest) else {
            throw OAuthError.invalidClient("the client secret is wrong or missing")
        }
        return client
    }

    /// Undoes form-urlencoding; most ids and secrets have nothing to undo, and Foundation's decoding (through
    /// NSString) showed in the refresh benchmark.
    static func formDecoded(_ text: Substring) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "+" }) else { return String(text) }
        return String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }

    private func credentials(_ request: Request, form: FormParameters) throws -> (String, String?) {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingWhitespace()),
                let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw OAuthError.invalidClient("the Basic authorization header is malformed") }
            // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
            let id = Self.formDecoded(text[..<colon])
            let secret = Self.formDecoded(text[text.index(after: colon)...])
            if let formID = try form.value("client_id"), formID != id {
                throw OAuthError.invalidClient("client_id in the body differs from the Basic credentials")
            }
            return (id, secret)
        }
        guard let id = try form.value("client_id") else {
            throw OAuthError.invalidClient("the client did not identify itself (client_id or Basic authorization)")
        }
        return (id, try form.value("client_secret"))
    }
}
