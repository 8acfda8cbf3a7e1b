import COpenSSL
public import Foundation

/// Incremental content hashing with OpenSSL's EVP (SHA-1, RIPEMD-160, SHAKE-128 cut to 160 bits).
public final class ContentHasher {
    public let algorithm: HashAlgorithm
    private let context: OpaquePointer

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a digest context") }
        let method: OpaquePointer? =
            switch algorithm {
            case .sha1: EVP_sha1()
            case .rmd160: EVP_ripemd160()
            case .shake128: EVP_shake128()
            }
        guard EVP_DigestInit_ex(context, method, nil) == 1 else {
            fatalError("OpenSSL lacks the \(algorithm) digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: some DataProtocol) {
        for region in bytes.regions {
            region.withUnsafeBytes { buffer in
                _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
            }
        }
    }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
    }

    /// Call once; the hasher is spent afterwards.
    public func finalize() -> ContentHash {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        if algorithm == .shake128 {
            _ = EVP_DigestFinalXOF(context, &digest, HashAlgorithm.digestLength)
        } else {
            _ = EVP_DigestFinal_ex(context, &digest, &length)
        }
        return ContentHash(algorithm: algorithm, digest: Array(digest.prefix(HashAlgorithm.digestLength)))
    }
}
