import Foundation
import Testing

@testable import CygnetSoftware

@Suite("Signatures")
struct SigningTests {
    struct Fixture {
        let keys: RepositoryKeys
        let manifest: [UInt8]
        let whitelist: [UInt8]
        let verifier: RepositoryVerifier
    }

    static func fixture(now: Date = Date()) throws -> Fixture {
        let directory = FileManager.default.temporaryDirectory.appending(path: "signing-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try RepositoryKeys.loadOrCreate(directory: directory, repositoryName: "sign.test")
        let hash = ContentHash.of([1], algorithm: .sha1)
        let manifest = Manifest(
            rootCatalog: hash, rootCatalogSize: 1, timeToLive: 240, revision: 1, repositoryName: "sign.test",
            certificate: hash, history: nil, publishedAt: 1)
        let verifier = RepositoryVerifier(
            repositoryName: "sign.test", trustedMasterKeys: [try RSAKey.publicKey(pem: keys.masterKey.publicKeyPEM)])
        return Fixture(
            keys: keys, manifest: try keys.sign(manifest), whitelist: try keys.signWhitelist(now: now),
            verifier: verifier)
    }

    @Test("a repository's own manifest and whitelist verify")
    func verifies() throws {
        let fixture = try Self.fixture()
        let (_, document) = try fixture.verifier.parseManifest(fixture.manifest)
        try fixture.verifier.verify(
            manifest: document, certificatePEM: fixture.keys.certificate.pem, whitelist: fixture.whitelist, now: Date())
    }

    @Test("a changed manifest, a foreign master key, an expired whitelist are each refused")
    func refusals() throws {
        let fixture = try Self.fixture()
        var tampered = fixture.manifest
        tampered[tampered.firstIndex(of: UInt8(ascii: "S"))! + 1] = UInt8(ascii: "9")
        #expect(throws: SoftwareError.self) { try fixture.verifier.parseManifest(tampered) }

        let (_, document) = try fixture.verifier.parseManifest(fixture.manifest)
        let stranger = RepositoryVerifier(
            repositoryName: "sign.test", trustedMasterKeys: [try RSAKey.publicKey(pem: RSAKey.generate().publicKeyPEM)])
        #expect(throws: SoftwareError.self) {
            try stranger.verify(
                manifest: document, certificatePEM: fixture.keys.certificate.pem, whitelist: fixture.whitelist,
                now: Date())
        }
        let error = #expect(throws: SoftwareError.self) {
            try fixture.verifier.verify(
                manifest: document, certificatePEM: fixture.keys.certificate.pem, whitelist: fixture.whitelist,
                now: Date().addingTimeInterval(31 * 86400))
        }
        #expect(error?.code == .expired)
        let otherCertificate = try RepositoryCertificate.selfSigned(key: RSAKey.generate(), repositoryName: "sign.test")
        #expect(throws: SoftwareError.self) {
            try fixture.verifier.verify(
                manifest: document, certificatePEM: otherCertificate.pem, whitelist: fixture.whitelist, now: Date())
        }
    }
}
