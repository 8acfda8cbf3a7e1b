public import Foundation

/// A repository's signing material on the publisher's machine: the master key (signs whitelists), the repository
/// key (signs manifests) and the certificate that carries the repository's public key to clients.
public struct RepositoryKeys: Sendable {
    public let repositoryName: String
    public let masterKey: RSAKey
    public let repositoryKey: RSAKey
    public let certificate: RepositoryCertificate

    /// Files in `directory`, named as `cvmfs_server` names them in /etc/cvmfs/keys.
    struct Files {
        let masterKey, masterPublicKey, repositoryKey, certificate: URL

        init(directory: URL, repositoryName: String) {
            masterKey = directory.appending(path: "\(repositoryName).masterkey")
            masterPublicKey = directory.appending(path: "\(repositoryName).pub")
            repositoryKey = directory.appending(path: "\(repositoryName).key")
            certificate = directory.appending(path: "\(repositoryName).crt")
        }
    }

    /// Loads the keys from `directory`, creating them on first use (private files are mode 0400).
    public static func loadOrCreate(directory: URL, repositoryName: String) throws -> RepositoryKeys {
        let files = Files(directory: directory, repositoryName: repositoryName)
        if FileManager.default.fileExists(atPath: files.repositoryKey.path) {
            return try load(files, repositoryName: repositoryName)
        }
        let masterKey = try RSAKey.generate()
        let repositoryKey = try RSAKey.generate()
        let certificate = try RepositoryCertificate.selfSigned(key: repositoryKey, repositoryName: repositoryName)
        try AtomicFile.makeDirectory(directory, mode: 0o700)
        try AtomicFile.write(masterKey.privateKeyPEM, to: files.masterKey, mode: 0o400)
        try AtomicFile.write(masterKey.publicKeyPEM, to: files.masterPublicKey, mode: 0o444)
        try AtomicFile.write(certificate.pem, to: files.certificate, mode: 0o444)
        // The repository key last: its presence says the set is complete.
        try AtomicFile.write(repositoryKey.privateKeyPEM, to: files.repositoryKey, mode: 0o400)
        return RepositoryKeys(
            repositoryName: repositoryName, masterKey: masterKey, repositoryKey: repositoryKey, certificate: certificate
        )
    }

    private static func load(_ files: Files, repositoryName: String) throws -> RepositoryKeys {
        func read(_ url: URL) throws -> [UInt8] {
            do { return Array(try Data(contentsOf: url)) } catch {
                throw SoftwareError(.notFound, "cannot read the key file \(url.path)", underlying: error)
            }
        }
        return RepositoryKeys(
            repositoryName: repositoryName,
            masterKey: try RSAKey.privateKey(pem: read(files.masterKey)),
            repositoryKey: try RSAKey.privateKey(pem: read(files.repositoryKey)),
            certificate: try RepositoryCertificate(pem: read(files.certificate)))
    }

    /// The signed bytes of `.cvmfspublished`.
    public func sign(_ manifest: Manifest) throws -> [UInt8] {
        let body = Array(manifest.body.utf8)
        let bodyHash = ContentHash.of(body, algorithm: manifest.rootCatalog.algorithm).description
        let signature = try repositoryKey.signSHA1(Array(bodyHash.utf8))
        return SignedDocument(body: body, bodyHash: bodyHash, signature: signature).serialized
    }

    /// The signed bytes of `.cvmfswhitelist`, valid for `days` from `now`.
    public func signWhitelist(now: Date = Date(), days: Int = 30, algorithm: HashAlgorithm = .sha1) throws
        -> [UInt8]
    {
        let whitelist = Whitelist(
            createdAt: now, expiresAt: now.addingTimeInterval(Double(days) * 86400), repositoryName: repositoryName,
            fingerprints: [Whitelist.fingerprint(certificateDER: certificate.der, algorithm: algorithm)])
        let body = Array(whitelist.body.utf8)
        let bodyHash = ContentHash.of(body, algorithm: algorithm).description
        let signature = try masterKey.signRaw(Array(bodyHash.utf8))
        return SignedDocument(body: body, bodyHash: bodyHash, signature: signature).serialized
    }
}
