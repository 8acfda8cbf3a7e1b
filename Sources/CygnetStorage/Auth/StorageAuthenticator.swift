public import CygnetRuntime
import Foundation
public import HTTPTypes

/// Says who a request comes from: HTTP Basic with an app password (what desktop sync clients send), or a bearer
/// token from cygnet-auth (rclone's `bearer_token`, other services).
public struct StorageAuthenticator: Sendable {
    let appPasswords: AppPasswordStore
    let tokens: TokenVerifier?

    public init(appPasswords: AppPasswordStore, tokens: TokenVerifier?) {
        self.appPasswords = appPasswords
        self.tokens = tokens
    }

    /// The user name, or an `unauthorized` error saying what was wrong.
    public func user(for headers: HTTPFields) async throws -> String {
        guard let header = headers[.authorization] else {
            throw StorageError(.unauthorized, "Sign in: send your user name and an app password (HTTP Basic)")
        }
        if header.count > 7, header.prefix(6).lowercased() == "basic " {
            guard let decoded = Data(base64Encoded: String(header.dropFirst(6).trimmingCharacters(in: .whitespaces))),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw StorageError(.unauthorized, "The Basic credentials are malformed") }
            let user = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            guard AccountName.isValid(user), try await appPasswords.verify(userName: user, password: password) else {
                throw StorageError(.unauthorized, "Wrong user name or app password")
            }
            return user
        }
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            guard let tokens else { throw StorageError(.unauthorized, "Bearer tokens are not accepted here") }
            do {
                let claims = try await tokens.verify(String(header.dropFirst(7)))
                guard let user = claims.preferredUsername, AccountName.isValid(user) else {
                    throw StorageError(.unauthorized, "The token names no user")
                }
                return user
            } catch let error as TokenVerificationError {
                throw StorageError(.unauthorized, "The bearer token was refused: \(error)")
            }
        }
        throw StorageError(.unauthorized, "Use HTTP Basic with an app password, or a bearer token")
    }
}
