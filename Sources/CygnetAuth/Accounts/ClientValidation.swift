import Foundation

/// Checks of client registrations, shared by the CLI and the configuration loader.
public enum ClientValidation {
    public static func checkClientID(_ id: String) throws(AuthError) {
        guard !id.isEmpty, id.utf8.count <= 64,
            id.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)
            }),
            id.unicodeScalars.allSatisfy(\.isASCII)
        else {
            throw AuthError(
                .invalidInput,
                "the client id '\(id)' may use only letters, digits, '-', '_' and '.', at most 64 characters")
        }
    }

    /// A redirect URI must be absolute, without a fragment; plain http only for loopback addresses (RFC 8252).
    public static func checkRedirectURI(_ uri: String) throws(AuthError) {
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            components.fragment == nil
        else {
            throw AuthError(.invalidInput, "the redirect URI '\(uri)' is not an absolute URI without a '#' part")
        }
        let host = components.host?.lowercased() ?? ""
        let loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1"
        switch scheme {
        case "https" where !host.isEmpty: return
        case "http" where loopback: return
        case "http":
            throw AuthError(
                .invalidInput,
                "the redirect URI '\(uri)' uses plain http on a non-local address; use https (or 127.0.0.1 for a local app)"
            )
        default:
            guard scheme.contains("."), !["javascript", "data", "file"].contains(scheme) else {
                throw AuthError(.invalidInput, "the redirect URI '\(uri)' must start with https://")
            }
        }
    }

    public static func checkScopes(_ scopes: [String]) throws(AuthError) {
        for scope in scopes {
            guard !scope.isEmpty,
                scope.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
            else { throw AuthError(.invalidInput, "the scope '\(scope)' contains characters not allowed in a scope") }
        }
    }
}
