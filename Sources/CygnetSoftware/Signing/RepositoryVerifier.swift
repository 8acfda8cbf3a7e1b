public import Foundation

/// What a client checks before it believes a repository (the reference client's order): the manifest's body hash
/// and signature against the certificate, the certificate against the whitelist, the whitelist against a trusted
/// master key, its expiry and its repository name.
public struct RepositoryVerifier: Sendable {
    public let repositoryName: String
    public let trustedMasterKeys: [RSAKey]

    public init(repositoryName: String, trustedMasterKeys: [RSAKey]) {
        self.repositoryName = repositoryName
        self.trustedMasterKeys = trustedMasterKeys
    }

    /// Parses `.cvmfspublished` and checks its hash line; the signature needs the certificate, fetched next.
    public func parseManifest(_ bytes: [UInt8]) throws -> (Manifest, SignedDocument) {
        let document = try SignedDocument(parsing: bytes, what: "manifest (.cvmfspublished)")
        let manifest = try Manifest(body: String(decoding: document.body, as: UTF8.self))
        try document.verifyBodyHash(algorithm: manifest.rootCatalog.algorithm, what: "manifest (.cvmfspublished)")
        guard manifest.repositoryName.isEmpty || manifest.repositoryName == repositoryName else {
            throw SoftwareError(
                .signature,
                "the server answered with repository '\(manifest.repositoryName)', not '\(repositoryName)'")
        }
        return (manifest, document)
    }

    /// Checks the manifest's signature with the certificate, and the certificate and whitelist with the master keys.
    public func verify(
        manifest document: SignedDocument, certificatePEM: [UInt8], whitelist whitelistBytes: [UInt8], now: Date
    ) throws {
        let certificate = try RepositoryCertificate(pem: certificatePEM)
        guard try certificate.publicKey().verifySHA1(Array(document.bodyHash.utf8), signature: document.signature)
        else {
            throw SoftwareError(.signature, "the manifest's signature does not match the repository certificate")
        }
        let signedWhitelist = try SignedDocument(parsing: whitelistBytes, what: "whitelist (.cvmfswhitelist)")
        let whitelist = try Whitelist(body: String(decoding: signedWhitelist.body, as: UTF8.self))
        let algorithm = HashAlgorithm.allCases.first {
            signedWhitelist.bodyHash.hasSuffix($0.suffix) && !$0.suffix.isEmpty
        }
        try signedWhitelist.verifyBodyHash(algorithm: algorithm ?? .sha1, what: "whitelist (.cvmfswhitelist)")
        let signedText = Array(signedWhitelist.bodyHash.utf8)
        guard trustedMasterKeys.contains(where: { $0.recoverRaw(signedWhitelist.signature) == signedText }) else {
            throw SoftwareError(
                .signature, "the whitelist of '\(repositoryName)' is not signed by a trusted master key")
        }
        guard whitelist.repositoryName == repositoryName else {
            throw SoftwareError(
                .signature, "the whitelist is for '\(whitelist.repositoryName)', not '\(repositoryName)'")
        }
        guard !whitelist.isExpired(at: now) else {
            throw SoftwareError(
                .expired,
                "the whitelist of '\(repositoryName)' expired at \(Whitelist.timestamp(whitelist.expiresAt)) UTC; "
                    + "the publisher must re-sign it (cygnet-software resign)")
        }
        let der = certificate.der
        let listed = whitelist.fingerprints.contains { fingerprint in
            let algorithm = HashAlgorithm.allCases.first {
                !$0.suffix.isEmpty && fingerprint.hasSuffix($0.fingerprintSuffix)
            }
            return Whitelist.fingerprint(certificateDER: der, algorithm: algorithm ?? .sha1) == fingerprint
        }
        guard listed else {
            throw SoftwareError(.signature, "the repository certificate is not on the whitelist of '\(repositoryName)'")
        }
    }
}
