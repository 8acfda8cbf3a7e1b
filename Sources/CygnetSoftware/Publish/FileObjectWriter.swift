import Foundation

/// What publishing one regular file produced: one object, or chunk objects for a large file.
struct StoredFile: Sendable, Equatable {
    var hash: ContentHash?
    var chunks: [FileChunk]
    var compressed: Bool

    var algorithm: HashAlgorithm? { hash?.algorithm ?? chunks.first?.hash.algorithm }
}

/// Turns a regular file into objects: compress (zlib), hash the compressed bytes, store under the hash. Large files
/// are cut into content-defined chunks first. Streams, so memory stays flat whatever the file size.
struct FileObjectWriter: Sendable {
    let storage: RepositoryStorage
    let algorithm: HashAlgorithm
    let compressionLevel: Int32
    let chunking: Bool

    private static let blockSize = 1 << 20

    func store(path: String, expectedSize: Int64) throws -> StoredFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw SoftwareError.system("cannot read \(path)", errno: errno) }
        defer { close(descriptor) }
        let useChunks = chunking && expectedSize > Int64(ContentChunker.minimumSize)
        var chunker = ContentChunker()
        var chunks: [FileChunk] = []
        var current = try ObjectSink(storage: storage, algorithm: algorithm, level: compressionLevel)
        var chunkStart = 0
        var offset = 0
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 16)
        defer { block.deallocate() }
        while true {
            let count = read(descriptor, block.baseAddress, block.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw SoftwareError.system("cannot read \(path)", errno: errno)
            }
            if count == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: block[0..<count])
            var consumed = 0
            for cut in useChunks ? chunker.cuts(in: bytes, at: offset) : [] {
                try current.feed(UnsafeRawBufferPointer(rebasing: bytes[consumed..<(cut - offset)]))
                consumed = cut - offset
                chunks.append(
                    FileChunk(
                        offset: Int64(chunkStart), size: Int64(cut - chunkStart), hash: try current.finish(.chunk)))
                chunkStart = cut
                current = try ObjectSink(storage: storage, algorithm: algorithm, level: compressionLevel)
            }
            try current.feed(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            offset += count
        }
        guard Int64(offset) == expectedSize else {
            throw SoftwareError(.busy, "\(path) changed while it was published (size \(expectedSize), now \(offset))")
        }
        if chunks.isEmpty { return StoredFile(hash: try current.finish(.file), chunks: [], compressed: true) }
        chunks.append(
            FileChunk(offset: Int64(chunkStart), size: Int64(offset - chunkStart), hash: try current.finish(.chunk)))
        return StoredFile(hash: nil, chunks: chunks, compressed: true)
    }
}

/// One object being written: deflate, hash what comes out, write it to a temporary file, rename on finish.
private final class ObjectSink {
    private let storage: RepositoryStorage
    private let deflater: Deflater
    private let hasher: ContentHasher
    private let file: TemporaryObject

    init(storage: RepositoryStorage, algorithm: HashAlgorithm, level: Int32) throws {
        self.storage = storage
        deflater = Deflater(level: level)
        hasher = ContentHasher(algorithm)
        file = try TemporaryObject(directory: storage.transactionDirectory)
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try push(bytes, finish: false)
    }

    func finish(_ kind: ObjectKind) throws -> ContentHash {
        try push(UnsafeRawBufferPointer(start: nil, count: 0), finish: true)
        let hash = hasher.finalize()
        try file.commit(to: storage.path(of: hash, kind))
        return hash
    }

    private func push(_ bytes: UnsafeRawBufferPointer, finish: Bool) throws {
        var failure: SoftwareError?
        let file = self.file
        let hasher = self.hasher
        deflater.feed(bytes, finish: finish) { output in
            hasher.update(output)
            if failure == nil {
                do { try file.write(output) } catch { failure = error as? SoftwareError }
            }
        }
        if let failure { throw failure }
    }
}
