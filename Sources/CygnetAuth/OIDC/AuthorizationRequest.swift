import Foundation

/// A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, PKCE RFC 7636).
public struct AuthorizationRequest: Sendable, Equatable {
    public var client: RegisteredClient
    public var redirectURI: String
    public var scopes: [String]
    public var state: String?
    public var nonce: String?
    public var codeChallenge: String?
    public var prompt: Set<String>
    public var loginHint: String?

    /// The parameters to carry through the login form unchanged.
    public var formFields: [(name: String, value: String)] {
        var fields = [
            ("response_type", "code"), ("client_id", client.id), ("redirect_uri", redirectURI),
            ("scope", scopes.joined(separator: " ")),
        ]
        if let state { fields.append(("state", state)) }
        if let nonce { fields.append(("nonce", nonce)) }
        if let codeChallenge {
            fields.append(("code_challenge", codeChallenge))
            fields.append(("code_challenge_method", "S256"))
        }
        return fields
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.client == rhs.client && lhs.redirectURI == rhs.redirectURI && lhs.scopes == rhs.scopes
            && lhs.state == rhs.state && lhs.nonce == rhs.nonce && lhs.codeChallenge == rhs.codeChallenge
    }
}

/// Why an authorization request was refused. Before the client and redirect URI are known to be genuine the
/// browser must not be sent anywhere (`untrusted`); after that, the error goes back to the client (`redirect`).
public enum AuthorizationRefusal: Error, Sendable, Equatable {
    case untrusted(String)
    case redirect(to: String, error: String, description: String, state: String?)
}

public enum AuthorizationRequestValidator {
    /// Validates `parameters` against the registered `client` (nil when the client id is unknown).
    public static func validate(
        _ parameters: FormParameters, client: RegisteredClient?, isAdmin: Bool? = nil
    ) throws(AuthorizationRefusal) -> AuthorizationRequest {
        let clientID: String?
        let redirectURI: String?
        do {
            clientID = try parameters.value("client_id")
            redirectURI = try parameters.value("redirect_uri")
        } catch {
            throw .untrusted(error.description)
        }
        guard let clientID else { throw .untrusted("The link is missing the application's identifier (client_id).") }
        guard let client, client.id == clientID else {
            throw .untrusted("The application that sent you here is not registered with this Cygnet.")
        }
        guard let redirectURI else {
            throw .untrusted("The link is missing the address to return to (redirect_uri).")
        }
        guard client.redirectURIs.contains(redirectURI) else {
            throw .untrusted(
                "The application asked to return to an address it has not registered, so Cygnet will not send you there."
            )
        }
        let state = try? parameters.value("state")
        func refuse(_ error: String, _ description: String) -> AuthorizationRefusal {
            .redirect(to: redirectURI, error: error, description: description, state: state)
        }
        do {
            return try validateRest(parameters, client: client, redirectURI: redirectURI, state: state)
        } catch let error as OAuthError {
            throw refuse(error.error, error.description)
        } catch {
            throw refuse("invalid_request", "\(error)")
        }
    }

    private static func validateRest(
        _ parameters: FormParameters, client: RegisteredClient, redirectURI: String, state: String?
    ) throws -> AuthorizationRequest {
        guard try parameters.value("response_type") == "code" else {
            throw OAuthError("unsupported_response_type", "only response_type=code is supported")
        }
        let scopes = (try parameters.value("scope") ?? "openid").split(separator: " ").map(String.init)
        let unknown = scopes.filter { !client.scopes.contains($0) }
        guard unknown.isEmpty else {
            throw OAuthError.invalidScope("this application may not ask for: \(unknown.joined(separator: " "))")
        }
        let challenge = try parameters.value("code_challenge")
        let method = try parameters.value("code_challenge_method")
        if let challenge {
            guard method == "S256" else {
                throw OAuthError.invalidRequest("code_challenge_method must be S256 (plain is not accepted)")
            }
            guard PKCE.isValidChallenge(challenge) else {
                throw OAuthError.invalidRequest("code_challenge must be 43 base64url characters (a SHA-256 digest)")
            }
        } else if method != nil {
            throw OAuthError.invalidRequest("code_challenge_method was sent without code_challenge")
        } else if client.isPublic {
            throw OAuthError.invalidRequest("this application must use PKCE: send code_challenge with method S256")
        }
        let nonce = try parameters.value("nonce")
        if let nonce, nonce.utf8.count > 512 { throw OAuthError.invalidRequest("nonce is longer than 512 bytes") }
        if let state, state.utf8.count > 2048 { throw OAuthError.invalidRequest("state is longer than 2048 bytes") }
        let prompt = Set((try parameters.value("prompt") ?? "").split(separator: " ").map(String.init))
        if prompt.contains("none"), prompt.count > 1 {
            throw OAuthError.invalidRequest("prompt=none cannot be combined with other values")
        }
        return AuthorizationRequest(
            client: client, redirectURI: redirectURI, scopes: scopes, state: state, nonce: nonce,
            codeChallenge: challenge, prompt: prompt, loginHint: try parameters.value("login_hint"))
    }

    /// The redirect URI with `params` added to its query.
    public static func redirect(_ uri: String, with params: [(String, String?)]) -> String {
        guard var components = URLComponents(string: uri) else { return uri }
        var items = components.queryItems ?? []
        for (name, value) in params { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        components.percentEncodedQuery = items.map { item in
            "\(Self.encode(item.name))=\(Self.encode(item.value ?? ""))"
        }.joined(separator: "&")
        return components.string ?? uri
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
