import CygnetRuntime
import Foundation
import Hummingbird
import Logging
import Metrics

/// The token endpoint (RFC 6749 §3.2): authorization code (with PKCE), refresh token (rotated, reuse revokes the
/// family) and client credentials.
struct TokenController: Sendable {
    let context: AuthContext
    var issuer: TokenIssuer { TokenIssuer(context: context) }
    var authenticator: ClientAuthenticator { ClientAuthenticator(clients: context.clientDirectory) }
    /// Made once: looking a metric up by label on every request showed in the refresh benchmark.
    let issuedCounters = Dictionary(
        uniqueKeysWithValues: ["authorization_code", "refresh_token", "client_credentials"].map {
            ($0, Counter(label: "cygnet_auth_tokens_issued_total", dimensions: [("grant_type", $0)]))
        })

    func addRoutes(to group: RouterGroup<AuthRequestContext>) {
        group.post("token") { request, _ in
            let form = try await FormParameters.body(of: request, limit: context.settings.maximumRequestBytes)
            let client = try await authenticator.authenticate(request, form: form, allowPublic: true)
            let grantType = try form.require("grant_type")
            let tokens: TokenResponse
            switch grantType {
            case "authorization_code": tokens = try await exchangeCode(form, client: client)
            case "refresh_token": tokens = try await refresh(form, client: client)
            case "client_credentials": tokens = try await clientCredentials(form, client: client)
            default: throw OAuthError("unsupported_grant_type", "grant_type '\(grantType)' is not supported")
            }
            issuedCounters[grantType]?.increment()
            return try Self.json(tokens)
        }
    }

    func exchangeCode(_ form: FormParameters, client: RegisteredClient) async throws -> TokenResponse {
        let code = try form.require("code")
        let redirectURI = try form.value("redirect_uri")
        let verifier = try form.value("code_verifier")
        let now = AuthContext.now()
        switch try await context.grants.redeemCode(code, clientID: client.id, now: now) {
        case .invalid: throw OAuthError.invalidGrant("the authorization code is not valid")
        case .expired: throw OAuthError.invalidGrant("the authorization code has expired; sign in again")
        case .reused:
            context.logger.warning("authorization code reused; grant revoked", metadata: ["client": "\(client.id)"])
            throw OAuthError.invalidGrant(
                "the authorization code was already used; the tokens issued for it are revoked")
        case .redeemed(let grant, let expectedRedirect, let challenge):
            guard redirectURI == expectedRedirect else {
                try await context.grants.revoke(grantID: grant.id, now: now)
                throw OAuthError.invalidGrant("redirect_uri differs from the one in the authorization request")
            }
            if let challenge {
                guard let verifier, PKCE.verify(verifier, against: challenge) else {
                    try await context.grants.revoke(grantID: grant.id, now: now)
                    throw OAuthError.invalidGrant(
                        verifier == nil ? "code_verifier is missing" : "code_verifier does not match the code_challenge"
                    )
                }
            } else if verifier != nil {
                throw OAuthError.invalidGrant(
                    "code_verifier was sent but the authorization request had no code_challenge")
            }
            let account = try await liveAccount(grant)
            return try await issuer.issue(for: grant, account: account, includeIDToken: true, includeRefreshToken: true)
        }
    }

    func refresh(_ form: FormParameters, client: RegisteredClient) async throws -> TokenResponse {
        let token = try form.require("refresh_token")
        let replacement = SecretDigest.newSecret()
        let now = AuthContext.now()
        let outcome = try await context.grants.rotateRefreshToken(
            token, clientID: client.id, replacement: replacement, now: now,
            expiresAt: now + context.settings.refreshTokenLifetime.components.seconds)
        switch outcome {
        case .invalid: throw OAuthError.invalidGrant("the refresh token is not valid")
        case .reuseDetected:
            context.logger.warning("refresh token replayed; token family revoked", metadata: ["client": "\(client.id)"])
            throw OAuthError.invalidGrant("the refresh token was already used; this sign-in has been revoked")
        case .rotated(let grant, let account):
            if let requested = try form.value("scope") {
                let granted = Set(grant.scope.split(separator: " "))
                guard requested.split(separator: " ").allSatisfy(granted.contains) else {
                    throw OAuthError.invalidScope("a refresh cannot add scopes that were not granted")
                }
            }
            guard let account, !account.isDisabled else {
                try await context.grants.revoke(grantID: grant.id, now: AuthContext.now())
                throw OAuthError.invalidGrant("the account of this sign-in is disabled or no longer exists")
            }
            return try await issuer.refreshed(grant: grant, account: account, refreshToken: replacement)
        }
    }

    func clientCredentials(_ form: FormParameters, client: RegisteredClient) async throws -> TokenResponse {
        guard !client.isPublic, client.allowsClientCredentials else {
            throw OAuthError("unauthorized_client", "this client may not use the client_credentials grant")
        }
        let requested =
            (try form.value("scope")).map { $0.split(separator: " ").map(String.init) }
            ?? client.scopes.filter { $0 != "openid" && $0 != "offline_access" }
        let unknown = requested.filter { !client.scopes.contains($0) }
        guard unknown.isEmpty else {
            throw OAuthError.invalidScope("this client may not ask for: \(unknown.joined(separator: " "))")
        }
        let now = AuthContext.now()
        let grant = Grant(
            id: UUID().uuidString.lowercased(), userID: nil, clientID: client.id,
            scope: requested.joined(separator: " "), nonce: nil, authTime: now, revoked: false)
        try await context.grants.createGrant(grant, now: now)
        return try await issuer.issue(for: grant, account: nil, includeIDToken: false, includeRefreshToken: false)
    }

    /// The grant's user, refusing tokens for disabled or deleted accounts.
    func liveAccount(_ grant: Grant) async throws -> Account {
        guard let userID = grant.userID, let account = try await context.accounts.users.find(id: userID),
            !account.isDisabled
        else {
            try await context.grants.revoke(grantID: grant.id, now: AuthContext.now())
            throw OAuthError.invalidGrant("the account of this sign-in is disabled or no longer exists")
        }
        return account
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store", .init("Pragma")!: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
