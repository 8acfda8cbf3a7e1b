import CryptoExtras
import CygnetRuntime
import Foundation
public import JWTKit
public import Logging

/// The token-signing keys in use, one line of keys per algorithm: ES256 signs access tokens (small and fast, on
/// the refresh path), RS256 signs ID tokens (the algorithm every OpenID Connect client must accept). The newest key
/// of each algorithm signs; every key not yet retired verifies and is published in the JWKS. Rotation adds a new
/// key and keeps the previous one of the same algorithm published for `overlap`, so tokens in flight stay valid.
public actor SigningKeyRing {
    public enum Algorithm: String, Sendable, CaseIterable {
        case es256 = "ES256"
        case rs256 = "RS256"
    }

    private let store: SigningKeyStore
    private let rotationInterval: Duration
    private let overlap: Duration
    private let logger: Logger
    private var collection = JWTKeyCollection()
    private var activeKeyIDs: [Algorithm: String] = [:]
    private var publishedKeyIDs: Set<String> = []
    /// The JWKS document, rebuilt only when keys change.
    public private(set) var jwksJSON = #"{"keys":[]}"#

    public init(store: SigningKeyStore, rotationInterval: Duration, overlap: Duration, logger: Logger) {
        self.store = store
        self.rotationInterval = rotationInterval
        self.overlap = overlap
        self.logger = logger
    }

    /// Loads the keys and, per algorithm, rotates when there is none or the newest is older than the interval.
    public func refresh(now: Int64) async throws {
        var keys = try await liveKeys(now: now)
        for algorithm in Algorithm.allCases {
            let newest = keys.last { $0.algorithm == algorithm.rawValue }
            guard newest.map({ now - $0.createdAt >= rotationInterval.components.seconds }) ?? true else { continue }
            let key = StoredSigningKey(
                id: Self.newKeyID(now: now, algorithm: algorithm), algorithm: algorithm.rawValue,
                privatePEM: try Self.newPrivateKeyPEM(algorithm), createdAt: now, retireAt: nil)
            try await store.rotate(to: key, retireOthersAt: now + overlap.components.seconds, now: now)
            logger.info("new signing key", metadata: ["kid": "\(key.id)", "algorithm": "\(algorithm.rawValue)"])
            keys = try await liveKeys(now: now)
        }
        try await install(keys)
    }

    private func liveKeys(now: Int64) async throws -> [StoredSigningKey] {
        try await store.all().filter { ($0.retireAt ?? .max) > now }
    }

    static func newPrivateKeyPEM(_ algorithm: Algorithm) throws -> String {
        switch algorithm {
        case .es256: ES256PrivateKey().pemRepresentation
        case .rs256:
            try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)).pemRepresentation
        }
    }

    private func install(_ keys: [StoredSigningKey]) async throws {
        let ids = Set(keys.map(\.id))
        guard ids != publishedKeyIDs else { return }
        let fresh = JWTKeyCollection()
        var jwks: [[String: String]] = []
        var active: [Algorithm: String] = [:]
        for key in keys {
            let kid = JWKIdentifier(string: key.id)
            switch Algorithm(rawValue: key.algorithm) {
            case .es256:
                let privateKey = try ES256PrivateKey(pem: key.privatePEM)
                await fresh.add(ecdsa: privateKey, kid: kid)
                guard let parameters = privateKey.publicKey.parameters else { continue }
                jwks.append([
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": key.id, "x": parameters.x,
                    "y": parameters.y,
                ])
                active[.es256] = key.id
            case .rs256:
                let privateKey = try Insecure.RSA.PrivateKey(pem: key.privatePEM)
                await fresh.add(rsa: privateKey, digestAlgorithm: .sha256, kid: kid)
                let primitives = try privateKey.publicKey.getKeyPrimitives()
                jwks.append([
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": key.id,
                    "n": primitives.modulus.base64URLEncodedString(),
                    "e": primitives.publicExponent.base64URLEncodedString(),
                ])
                active[.rs256] = key.id
            case nil:
                logger.warning("ignoring a signing key of unknown algorithm", metadata: ["kid": "\(key.id)"])
            }
        }
        collection = fresh
        activeKeyIDs = active
        publishedKeyIDs = ids
        let data = try JSONSerialization.data(withJSONObject: ["keys": jwks], options: [.sortedKeys])
        jwksJSON = String(decoding: data, as: UTF8.self)
    }

    public func sign(_ payload: some JWTPayload, type: String = "JWT", algorithm: Algorithm = .es256) async throws
        -> String
    {
        guard let keyID = activeKeyIDs[algorithm] else {
            throw AuthError(.notFound, "no \(algorithm.rawValue) signing key is loaded")
        }
        var header = JWTHeader()
        header.typ = type
        return try await collection.sign(payload, kid: JWKIdentifier(string: keyID), header: header)
    }

    /// Verifies a token signed by one of the published keys; refuses `alg: none` and unknown keys.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await collection.verify(token, as: type)
    }

    static func newKeyID(now: Int64, algorithm: Algorithm) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        let stamp = date.formatted(.iso8601.year().month().day().dateSeparator(.omitted))
        return "cygnet-\(algorithm.rawValue.lowercased())-\(stamp)-\(SecretDigest.newSecret().prefix(8))"
    }
}
