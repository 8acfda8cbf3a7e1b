import Foundation
import Hummingbird
import NIOCore

/// The non-DAV endpoints sync clients call before any file: `status.php`, capabilities and the signed-in user,
/// in the OCS envelope (v1: status code 100 and HTTP 200; v2: code 200).
struct OCSController: Sendable {
    let authenticator: StorageAuthenticator
    let spaces: SpaceDirectory
    let quota: QuotaTracker

    /// What we tell clients we are: a Nextcloud version new enough for every feature they check.
    static let version = (major: 28, minor: 0, micro: 4, string: "28.0.4")

    func addRoutes(to router: Router<StorageRequestContext>) {
        router.get("status.php") { _, _ in Self.json(Self.status) }
        for version in ["v1", "v2"] {
            router.get("ocs/\(version).php/cloud/capabilities") { request, _ in
                Self.envelope(Self.capabilities, version: version, request: request)
            }
            router.get("ocs/\(version).php/cloud/user") { request, _ in
                try await user(request: request, version: version)
            }
        }
    }

    static var status: [String: Any] {
        [
            "installed": true, "maintenance": false, "needsDbUpgrade": false, "version": "\(version.string).1",
            "versionstring": version.string, "edition": "", "productname": "Cygnet", "extendedSupport": false,
        ]
    }

    static var capabilities: [String: Any] {
        [
            "version": [
                "major": version.major, "minor": version.minor, "micro": version.micro, "string": version.string,
                "edition": "", "extendedSupport": false,
            ],
            "capabilities": [
                "core": ["pollinterval": 60, "webdav-root": "remote.php/webdav"],
                "dav": ["chunking": "1.0", "bulkupload": "1.0"],
                "checksums": ["supportedTypes": ["SHA1", "MD5", "ADLER32"], "preferredUploadType": "SHA1"],
                "files": ["bigfilechunking": true, "undelete": true, "versioning": true, "blacklisted_files": []],
                "files_sharing": ["api_enabled": false, "public": ["enabled": false], "resharing": false],
            ],
        ]
    }

    func user(request: Request, version: String) async throws -> Response {
        let name: String
        do {
            name = try await authenticator.user(for: request.headers)
        } catch let error as StorageError {
            return Self.failure(error, version: version, request: request)
        }
        let space = try await spaces.space(for: name)
        let status = try await quota.status(user: name, space: space)
        let total = status.limit.map { $0 } ?? -3
        let relative = status.limit.map { $0 > 0 ? Double(status.used) * 100 / Double($0) : 0 } ?? 0
        let data: [String: Any] = [
            "id": name, "display-name": name, "displayname": name, "email": "",
            "quota": [
                "free": status.available, "used": status.used, "total": total,
                "relative": (relative * 100).rounded() / 100, "quota": total,
            ],
        ]
        return Self.envelope(data, version: version, request: request)
    }

    static func envelope(_ data: Any, version: String, request: Request) -> Response {
        let meta: [String: Any] = [
            "status": "ok", "statuscode": version == "v1" ? 100 : 200, "message": "OK", "totalitems": "",
            "itemsperpage": "",
        ]
        return document(["ocs": ["meta": meta, "data": data]], status: .ok, request: request)
    }

    /// An OCS error: v1 answers HTTP 200 with the code in `meta`, v2 answers with the HTTP status itself.
    static func failure(_ error: StorageError, version: String, request: Request) -> Response {
        let code = Int(error.code.status.code)
        let meta: [String: Any] = [
            "status": "failure", "statuscode": code, "message": error.message, "totalitems": "", "itemsperpage": "",
        ]
        let status: HTTPResponse.Status = version == "v1" && error.code != .unauthorized ? .ok : error.code.status
        var response = document(["ocs": ["meta": meta, "data": [String: Any]()]], status: status, request: request)
        if error.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Basic realm=\"Cygnet\", charset=\"UTF-8\""
        }
        return response
    }

    static func document(_ document: [String: Any], status: HTTPResponse.Status, request: Request) -> Response {
        if request.uri.queryParameters.get("format") == "json"
            || request.headers[.accept]?.contains("application/json") == true
        {
            var response = json(document)
            response.status = status
            return response
        }
        var xml = "<?xml version=\"1.0\"?>\n"
        appendXML(document, to: &xml)
        var headers = HTTPFields()
        headers[.contentType] = "text/xml; charset=UTF-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    static func appendXML(_ value: Any, to xml: inout String) {
        switch value {
        case is NSNull: break
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                xml += "<\(key)>"
                appendXML(object[key]!, to: &xml)
                xml += "</\(key)>"
            }
        case let list as [Any]:
            for item in list {
                xml += "<element>"
                appendXML(item, to: &xml)
                xml += "</element>"
            }
        case let flag as Bool: xml += flag ? "1" : ""
        default: xml += XMLEscaping.text("\(value)")
        }
    }

    static func json(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
