import COpenSSL
import Foundation

/// An RSA key held by OpenSSL. Repository keys sign manifests (PKCS#1 v1.5 over SHA-1), master keys sign
/// whitelists (raw PKCS#1 type-1 padding, no digest), as the CernVM-FS format requires.
public final class RSAKey: @unchecked Sendable {
    // EVP_PKEY is reference counted and safe to use from several threads once made; it is never mutated.
    let key: OpaquePointer
    public let isPrivate: Bool

    private init(key: OpaquePointer, isPrivate: Bool) {
        self.key = key
        self.isPrivate = isPrivate
    }

    deinit { EVP_PKEY_free(key) }

    /// A new 2048-bit key pair.
    public static func generate(bits: Int32 = 2048) throws -> RSAKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw OpenSSLFailure.error("key context") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) == 1,
            EVP_PKEY_keygen(context, &key) == 1, let key
        else { throw OpenSSLFailure.error("generating an RSA key") }
        return RSAKey(key: key, isPrivate: true)
    }

    /// Reads a PEM private key ("BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY").
    public static func privateKey(pem: [UInt8]) throws -> RSAKey {
        let key = pem.withUnsafeBytes { buffer -> OpaquePointer? in
            let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw OpenSSLFailure.error("reading a PEM private key") }
        return RSAKey(key: key, isPrivate: true)
    }

    /// Reads a PEM public key ("BEGIN PUBLIC KEY", as the master key's `.pub` file holds it).
    public static func publicKey(pem: [UInt8]) throws -> RSAKey {
        let key = pem.withUnsafeBytes { buffer -> OpaquePointer? in
            let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else { throw SoftwareError(.signature, "not a PEM public key") }
        return RSAKey(key: key, isPrivate: false)
    }

    static func adopting(_ key: OpaquePointer) -> RSAKey { RSAKey(key: key, isPrivate: false) }

    public var privateKeyPEM: [UInt8] {
        OpenSSLFailure.memoryBIO { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    public var publicKeyPEM: [UInt8] {
        OpenSSLFailure.memoryBIO { PEM_write_bio_PUBKEY($0, key) }
    }

    /// PKCS#1 v1.5 signature with a SHA-1 DigestInfo over `message` (manifests).
    public func signSHA1(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLFailure.error("digest context") }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha1(), nil, key) == 1,
            EVP_DigestSign(context, nil, &length, message, message.count) == 1
        else { throw OpenSSLFailure.error("signing") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw OpenSSLFailure.error("signing")
        }
        return Array(signature.prefix(length))
    }

    public func verifySHA1(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha1(), nil, key) == 1 else { return false }
        let result = EVP_DigestVerify(context, signature, signature.count, message, message.count)
        ERR_clear_error()
        return result == 1
    }

    /// Raw PKCS#1 type-1 signature of `message` itself, without hashing (whitelists; `openssl pkeyutl -sign`).
    public func signRaw(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { throw OpenSSLFailure.error("key context") }
        defer { EVP_PKEY_CTX_free(context) }
        var length = 0
        guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_sign(context, nil, &length, message, message.count) == 1
        else { throw OpenSSLFailure.error("signing") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_sign(context, &signature, &length, message, message.count) == 1 else {
            throw OpenSSLFailure.error("signing")
        }
        return Array(signature.prefix(length))
    }

    /// Recovers what a raw signature signed, or nil when this key did not make it.
    public func recoverRaw(_ signature: [UInt8]) -> [UInt8]? {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { return nil }
        defer {
            EVP_PKEY_CTX_free(context)
            ERR_clear_error()
        }
        var length = Int(EVP_PKEY_get_size(key))
        var recovered = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_verify_recover_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_verify_recover(context, &recovered, &length, signature, signature.count) == 1
        else { return nil }
        return Array(recovered.prefix(length))
    }
}

/// Turns OpenSSL's error queue into our error type.
enum OpenSSLFailure {
    static func error(_ what: String) -> SoftwareError {
        let code = ERR_get_error()
        ERR_clear_error()
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        let reason = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return SoftwareError(.signature, "OpenSSL failed at \(what): \(reason)")
    }

    /// Runs a PEM/DER writer against a memory BIO and returns what it wrote.
    static func memoryBIO(_ write: (OpaquePointer?) -> Int32) -> [UInt8] {
        let bio = BIO_new(BIO_s_mem())
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return [] }
        var data: UnsafeMutablePointer<CChar>?
        let length = cygnet_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }
}
