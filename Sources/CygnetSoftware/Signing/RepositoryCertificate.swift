import COpenSSL
import Foundation

/// The repository's X.509 certificate: a self-signed wrapper around the repository public key. Clients ignore its
/// dates; the whitelist says which certificate is trusted and until when.
public final class RepositoryCertificate: @unchecked Sendable {
    // X509 objects are immutable after creation here; OpenSSL allows concurrent reads.
    private let certificate: OpaquePointer

    private init(certificate: OpaquePointer) { self.certificate = certificate }

    deinit { X509_free(certificate) }

    /// A self-signed certificate for `key`, named after the repository.
    public static func selfSigned(key: RSAKey, repositoryName: String) throws -> RepositoryCertificate {
        guard let certificate = X509_new() else { throw OpenSSLFailure.error("creating a certificate") }
        let wrapped = RepositoryCertificate(certificate: certificate)
        let name = X509_get_subject_name(certificate)
        let commonName = String(repositoryName.prefix(64))
        guard X509_set_version(certificate, 2) == 1,
            ASN1_INTEGER_set(X509_get_serialNumber(certificate), Int.random(in: 1..<Int(Int32.max))) == 1,
            X509_gmtime_adj(X509_getm_notBefore(certificate), 0) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), 10 * 365 * 86400) != nil,
            X509_set_pubkey(certificate, key.key) == 1,
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1,
            X509_set_issuer_name(certificate, name) == 1,
            X509_sign(certificate, key.key, EVP_sha256()) > 0
        else { throw OpenSSLFailure.error("creating the repository certificate") }
        return wrapped
    }

    public init(pem: [UInt8]) throws {
        let certificate = pem.withUnsafeBytes { buffer -> OpaquePointer? in
            let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let certificate else {
            ERR_clear_error()
            throw SoftwareError(.signature, "the repository certificate is not a PEM X.509 certificate")
        }
        self.certificate = certificate
    }

    public var pem: [UInt8] { OpenSSLFailure.memoryBIO { PEM_write_bio_X509($0, certificate) } }

    public var der: [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(certificate, &output)
        guard length > 0, let output else { return [] }
        defer { CRYPTO_free(output, #file, #line) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    public func publicKey() throws -> RSAKey {
        guard let key = X509_get_pubkey(certificate) else {
            throw SoftwareError(.signature, "the repository certificate holds no public key")
        }
        return RSAKey.adopting(key)
    }
}
