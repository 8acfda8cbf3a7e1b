import AsyncHTTPClient
import CygnetRuntime
import Foundation
import NIOCore
import NIOHTTP1

/// A request to cygnet-auth's token endpoint on its internal address, authenticated as the hub's client
/// (`client_secret_basic`): for the sign-in code exchange and for the hub's own client-credentials token.
enum TokenEndpointRequest {
    static func make(settings: HubSettings, form fields: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.authInternalURL + "/token")
        request.method = .POST
        let credentials = "\(formEncode(settings.clientID)):\(formEncode(settings.clientSecret))"
        request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = fields.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    static func formEncode(_ text: String) -> String {
        ClientCredentials.formEncode(text)
    }
}
