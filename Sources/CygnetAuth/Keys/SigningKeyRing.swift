import CygnetRuntime
import Foundation
public import JWTKit
public import Logging

/// The token-signing keys in use: the newest signs, every key not yet retired verifies and is published in the
/// JWKS. Rotation adds a new key and keeps the previous one published for `overlap`, so tokens in flight stay valid.
public actor SigningKeyRing {
    private let store: SigningKeyStore
    private let rotationInterval: Duration
    private let overlap: Duration
    private let logger: Logger
    private var collection = JWTKeyCollection()
    private var activeKeyID: String?
    private var newestCreatedAt: Int64 = 0
    private var publishedKeyIDs: Set<String> = []
    /// The JWKS document, rebuilt only when keys change.
    public private(set) var jwksJSON = #"{"keys":[]}"#

    public init(store: SigningKeyStore, rotationInterval: Duration, overlap: Duration, logger: Logger) {
        self.store = store
        self.rotationInterval = rotationInterval
        self.overlap = overlap
        self.logger = logger
    }

    /// Loads the keys and rotates when there is none or the newest is older than the rotation interval.
    public func refresh(now: Int64) async throws {
        var keys = try await store.all().filter { ($0.retireAt ?? .max) > now }
        if keys.last.map({ now - $0.createdAt >= rotationInterval.components.seconds }) ?? true {
            let key = StoredSigningKey(
                id: Self.newKeyID(now: now), algorithm: "ES256", privatePEM: ES256PrivateKey().pemRepresentation,
                createdAt: now, retireAt: nil)
            try await store.rotate(to: key, retireOthersAt: now + overlap.components.seconds, now: now)
            logger.info("new signing key", metadata: ["kid": "\(key.id)", "previous-keys": "\(keys.count)"])
            keys = try await store.all().filter { ($0.retireAt ?? .max) > now }
        }
        try await install(keys)
    }

    private func install(_ keys: [StoredSigningKey]) async throws {
        let ids = Set(keys.map(\.id))
        guard ids != publishedKeyIDs else { return }
        let fresh = JWTKeyCollection()
        var jwks: [[String: String]] = []
        for key in keys {
            let privateKey = try ES256PrivateKey(pem: key.privatePEM)
            await fresh.add(ecdsa: privateKey, kid: JWKIdentifier(string: key.id))
            guard let parameters = privateKey.publicKey.parameters else { continue }
            jwks.append([
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": key.id, "x": parameters.x,
                "y": parameters.y,
            ])
        }
        collection = fresh
        activeKeyID = keys.last?.id
        newestCreatedAt = keys.last?.createdAt ?? 0
        publishedKeyIDs = ids
        let data = try JSONSerialization.data(withJSONObject: ["keys": jwks], options: [.sortedKeys])
        jwksJSON = String(decoding: data, as: UTF8.self)
    }

    public func sign(_ payload: some JWTPayload, type: String = "JWT") async throws -> String {
        guard let activeKeyID else { throw AuthError(.notFound, "no signing key is loaded") }
        var header = JWTHeader()
        header.typ = type
        return try await collection.sign(payload, kid: JWKIdentifier(string: activeKeyID), header: header)
    }

    /// Verifies a token signed by one of the published keys; refuses `alg: none` and unknown keys.
    public func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await collection.verify(token, as: type)
    }

    static func newKeyID(now: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        let stamp = date.formatted(.iso8601.year().month().day().dateSeparator(.omitted))
        return "cygnet-\(stamp)-\(SecretDigest.newSecret().prefix(8))"
    }
}
