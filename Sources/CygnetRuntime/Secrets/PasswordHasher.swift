import Crypto
import CryptoExtras
import Foundation
public import NIOPosix

/// Hashes and checks passwords with scrypt (memory-hard), storing them as
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` so parameters can change without breaking stored hashes.
/// The work runs on NIO's blocking thread pool so it never stalls the event loops or Swift's cooperative pool.
public struct PasswordHasher: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// log2 of scrypt's N (cost); 15 means 32 MiB of memory with r = 8.
        public var costLog2: Int
        public var blockSize: Int
        public var parallelism: Int

        public init(costLog2: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
            self.costLog2 = costLog2
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        var memoryBytes: Int { 128 * blockSize * (1 << costLog2) * parallelism + (1 << 20) }
    }

    public let parameters: Parameters
    private let threadPool: NIOThreadPool

    public init(parameters: Parameters = .init(), threadPool: NIOThreadPool = .singleton) {
        self.parameters = parameters
        self.threadPool = threadPool
    }

    public func hash(_ password: String) async throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let parameters = parameters
        let key = try await threadPool.runIfActive {
            try Self.derive(password, salt: salt, parameters: parameters)
        }
        let digest = key.withUnsafeBytes { Data($0) }
        return "$scrypt$ln=\(parameters.costLog2),r=\(parameters.blockSize),p=\(parameters.parallelism)$"
            + salt.base64URLEncodedString() + "$" + digest.base64URLEncodedString()
    }

    /// True when `password` matches `encoded`; comparison is constant-time. A malformed hash never matches.
    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        guard let stored = StoredHash(encoded) else { return false }
        let candidate = try await threadPool.runIfActive {
            try Self.derive(password, salt: stored.salt, parameters: stored.parameters)
        }
        return candidate == SymmetricKey(data: stored.digest)
    }

    /// Does the work of a check against a stored hash with the configured parameters and returns false, so a login
    /// for an unknown user takes as long as one for a known user.
    public func verifyWithoutAccount(_ password: String) async throws -> Bool {
        let parameters = parameters
        _ = try await threadPool.runIfActive {
            try Self.derive(password, salt: Data(count: 16), parameters: parameters)
        }
        return false
    }

    /// Whether a stored hash was made with weaker parameters than the configured ones (rehash on next login).
    public func needsRehash(_ encoded: String) -> Bool {
        StoredHash(encoded)?.parameters != parameters
    }

    static func derive(_ password: String, salt: Data, parameters: Parameters) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << parameters.costLog2,
            blockSize: parameters.blockSize, parallelism: parameters.parallelism, maxMemory: parameters.memoryBytes)
    }

    struct StoredHash {
        var parameters: Parameters
        var salt: Data
        var digest: Data

        init?(_ encoded: String) {
            let parts = encoded.split(separator: "$", omittingEmptySubsequences: true)
            guard parts.count == 4, parts[0] == "scrypt" else { return nil }
            var values: [String: Int] = [:]
            for pair in parts[1].split(separator: ",") {
                let keyValue = pair.split(separator: "=")
                guard keyValue.count == 2, let number = Int(keyValue[1]) else { return nil }
                values[String(keyValue[0])] = number
            }
            guard let costLog2 = values["ln"], let blockSize = values["r"], let parallelism = values["p"],
                (1...22).contains(costLog2), (1...32).contains(blockSize), (1...16).contains(parallelism),
                let salt = Data(base64URLEncoded: String(parts[2])),
                let digest = Data(base64URLEncoded: String(parts[3])), digest.count == 32
            else { return nil }
            self.parameters = Parameters(costLog2: costLog2, blockSize: blockSize, parallelism: parallelism)
            self.salt = salt
            self.digest = digest
        }
    }
}
