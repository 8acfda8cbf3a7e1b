import Crypto
import Foundation

/// Client secrets and refresh tokens are 256-bit random values, so a fast hash is enough to keep the database
/// useless to a thief; a slow password hash would only cost time on every token request.
public enum SecretDigest {
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexadecimal
    }

    /// Constant-time comparison of a presented secret with a stored digest.
    public static func matches(_ secret: String, digest: String) -> Bool {
        ConstantTime.equals(hash(secret), digest)
    }

    /// A new random secret: 32 bytes, base64url.
    public static func newSecret() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URLEncodedString()
    }
}
