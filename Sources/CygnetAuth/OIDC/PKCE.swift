import Crypto
import CygnetRuntime
import Foundation

/// Proof Key for Code Exchange (RFC 7636), S256 only.
public enum PKCE {
    static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func isValidChallenge(_ challenge: String) -> Bool {
        challenge.count == 43 && challenge.allSatisfy { alphabet.contains($0) && $0 != "." && $0 != "~" }
    }

    public static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.count) && verifier.allSatisfy { alphabet.contains($0) }
    }

    public static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
    }

    /// Constant-time comparison of the verifier's challenge with the stored one.
    public static func verify(_ verifier: String, against challenge: String) -> Bool {
        guard isValidVerifier(verifier) else { return false }
        return ConstantTime.equals(self.challenge(for: verifier), challenge)
    }
}
