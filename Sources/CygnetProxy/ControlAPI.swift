import FoundationEssentials
import NIOCore
import NIOHTTP1

/// The REST API configurable-http-proxy offers, so JupyterHub can manage routes unchanged:
/// `GET /api/routes[?inactive_since=…]`, `POST /api/routes/<prefix>`,
/// `DELETE /api/routes/<prefix>` and the unauthenticated `GET /api/healthz`.
struct ControlAPI: Sendable {
    struct Response {
        var status: HTTPResponseStatus
        var json: String?
    }

    let routes: RouteStore
    let token: String?

    func handle(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer?) -> Response {
        let path = uri.prefix { $0 != "?" }
        let query = uri.dropFirst(path.count + 1)
        if path == "/api/healthz" {
            return method == .GET ? Response(status: .ok, json: #"{"status":"ok"}"#) : error(.methodNotAllowed)
        }
        guard isAuthorized(headers) else {
            return error(.forbidden, "A valid 'Authorization: token …' header is required.")
        }
        guard path == "/api/routes" || path.hasPrefix("/api/routes/") else {
            return error(.notFound)
        }
        let prefix = RoutePrefix.normalize(path.dropFirst("/api/routes".count))
        switch method {
        case .GET where path == "/api/routes":
            return list(query: query)
        case .POST:
            return add(prefix: prefix, body: body)
        case .DELETE:
            routes.remove(prefix: prefix)
            return Response(status: .noContent)
        default:
            return error(.methodNotAllowed)
        }
    }

    /// Compares in time independent of where the secrets differ, so the token cannot be
    /// guessed byte by byte from response times.
    private func isAuthorized(_ headers: HTTPHeaders) -> Bool {
        guard let token, !token.isEmpty, let header = headers.first(name: "authorization"),
            header.hasPrefix("token ")
        else { return false }
        let offered = Array(header.utf8.dropFirst("token ".count))
        let expected = Array(token.utf8)
        var difference = UInt8(truncatingIfNeeded: offered.count ^ expected.count)
        for index in expected.indices {
            difference |= expected[index] ^ (index < offered.count ? offered[index] : 0)
        }
        return difference == 0
    }

    /// `%XX` escapes decoded (`+` too, as forms send a space); nil for a malformed escape. Written out because
    /// FoundationEssentials, which keeps the proxy free of Foundation's locale data, has no such call.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Self.hexValue),
                    let low = iterator.next().flatMap(Self.hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func list(query: Substring) -> Response {
        var inactiveSince: Int64?
        for pair in query.split(separator: "&") where pair.hasPrefix("inactive_since=") {
            let value = Self.percentDecoded(pair.dropFirst("inactive_since=".count)) ?? ""
            guard let milliseconds = Self.parseTimestamp(value) else {
                return error(.badRequest, "inactive_since must be an ISO 8601 timestamp.")
            }
            inactiveSince = milliseconds
        }
        var result: [String: [String: JSONValue]] = [:]
        for route in routes.snapshot().routes.values {
            let lastActivity = route.activity.lastActivityMilliseconds
            if let inactiveSince, lastActivity >= inactiveSince { continue }
            var entry = route.data
            entry["target"] = .string(route.target.description)
            entry["last_activity"] = .string(WallClock.iso8601(milliseconds: lastActivity))
            result[route.prefix] = entry
        }
        return Response(status: .ok, json: Self.encode(result))
    }

    private func add(prefix: String, body: ByteBuffer?) -> Response {
        guard let body,
            let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView))
        else { return error(.badRequest, "The body must be a JSON object.") }
        guard case .string(let url) = object["target"], let target = UpstreamTarget(url: url) else {
            return error(.badRequest, "target must be a URL of the form http://host:port.")
        }
        var data = object
        data["target"] = nil
        data["last_activity"] = nil
        routes.add(prefix: prefix, target: target, data: data)
        return Response(status: .created)
    }

    private func error(_ status: HTTPResponseStatus, _ message: String? = nil) -> Response {
        let body: [String: JSONValue] = [
            "status": .number(Double(status.code)), "message": .string(message ?? status.reasonPhrase),
        ]
        return Response(status: status, json: Self.encode(body))
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }

    /// Accepts what JupyterHub and people send: with or without fractional seconds.
    static func parseTimestamp(_ text: String) -> Int64? {
        let styles = [
            Date.ISO8601FormatStyle(includingFractionalSeconds: true),
            Date.ISO8601FormatStyle(),
        ]
        for style in styles {
            if let date = try? style.parse(text) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        return nil
    }
}
