/// A Nextcloud bulk upload body (`multipart/related`): up to a hundred small files in one request, each part with
/// `X-File-Path`, `X-File-MD5`, `X-File-Mtime` and `Content-Length` headers.
struct BulkUploadBody {
    struct Part {
        var headers: [String: String]
        var content: ArraySlice<UInt8>

        var path: String? { headers["x-file-path"] }
        var md5: String? { headers["x-file-md5"]?.lowercased() }
        var modified: Int64? { headers["x-file-mtime"].flatMap { Double($0) }.map { Int64($0 * 1_000_000_000) } }
    }

    var parts: [Part] = []

    static func boundary(ofContentType header: String?) throws(StorageError) -> String {
        guard let header, header.lowercased().hasPrefix("multipart/related"),
            let range = header.range(of: "boundary=")
        else { throw StorageError(.badRequest, "A bulk upload must be multipart/related with a boundary") }
        var value = header[range.upperBound...].prefix { $0 != ";" }.trimmingWhitespace()
        if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
            value = String(value.dropFirst().dropLast())
        }
        guard !value.isEmpty, value.count <= 200 else {
            throw StorageError(.badRequest, "The multipart boundary is malformed")
        }
        return value
    }

    init(bytes: [UInt8], boundary: String) throws(StorageError) {
        let delimiter = Array(("--" + boundary).utf8)
        var index = try Self.find(delimiter, in: bytes, from: 0)
        while true {
            index += delimiter.count
            if bytes.count >= index + 2 && bytes[index] == UInt8(ascii: "-") && bytes[index + 1] == UInt8(ascii: "-") {
                return
            }
            index = try Self.skipLineEnd(bytes, index)
            let headerEnd = try Self.find(Array("\r\n\r\n".utf8), in: bytes, from: index)
            let headers = try Self.headers(bytes[index..<headerEnd])
            let start = headerEnd + 4
            let end: Int
            if let length = headers["content-length"].flatMap(Int.init) {
                guard length >= 0, start + length <= bytes.count else {
                    throw StorageError(.badRequest, "A part of the bulk upload is shorter than its Content-Length")
                }
                end = start + length
            } else {
                end = try Self.find(Array(("\r\n--" + boundary).utf8), in: bytes, from: start)
            }
            parts.append(Part(headers: headers, content: bytes[start..<end]))
            guard parts.count <= 1000 else {
                throw StorageError(.tooLarge, "A bulk upload may hold 1000 files at most")
            }
            index = try Self.find(delimiter, in: bytes, from: end)
        }
    }

    private static func skipLineEnd(_ bytes: [UInt8], _ index: Int) throws(StorageError) -> Int {
        guard index + 2 <= bytes.count, bytes[index] == 13, bytes[index + 1] == 10 else {
            throw StorageError(.badRequest, "The bulk upload body is not well-formed multipart")
        }
        return index + 2
    }

    private static func headers(_ bytes: ArraySlice<UInt8>) throws(StorageError) -> [String: String] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StorageError(.badRequest, "A part's headers are not UTF-8")
        }
        var headers: [String: String] = [:]
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].trimmingWhitespace().lowercased()] =
                line[line.index(after: colon)...].trimmingWhitespace()
        }
        return headers
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) throws(StorageError) -> Int {
        guard let first = needle.first, bytes.count >= needle.count else {
            throw StorageError(.badRequest, "The bulk upload body is not well-formed multipart")
        }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == first && bytes[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        throw StorageError(.badRequest, "The bulk upload body is not well-formed multipart (a boundary is missing)")
    }
}
