public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Talks to cygnet-proxy's control API (the configurable-http-proxy API: `/api/routes`).
public struct ProxyClient: Sendable {
    let apiURL: String
    let token: String
    let httpClient: HTTPClient

    public init(apiURL: String, token: String, httpClient: HTTPClient = .shared) {
        self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.token = token
        self.httpClient = httpClient
    }

    public struct Route: Sendable, Equatable {
        public var prefix: String
        public var target: String
        public var lastActivity: Date?
        public var user: String?
    }

    public func addRoute(prefix: String, target: String, user: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["target": target, "user": user])
        try await send(.POST, path: "/api/routes" + prefix, body: body, expecting: [200, 201])
    }

    public func removeRoute(prefix: String) async throws {
        try await send(.DELETE, path: "/api/routes" + prefix, body: nil, expecting: [200, 204, 404])
    }

    public func routes() async throws -> [Route] {
        let data = try await send(.GET, path: "/api/routes", body: nil, expecting: [200])
        guard let table = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            throw ProxyError("the proxy's route table is not a JSON object")
        }
        return table.map { prefix, route in
            Route(
                prefix: prefix, target: route["target"] as? String ?? "",
                lastActivity: (route["last_activity"] as? String).flatMap(Timestamps.parse),
                user: route["user"] as? String)
        }
    }

    @discardableResult
    func send(_ method: HTTPMethod, path: String, body: Data?, expecting statuses: Set<UInt>) async throws -> Data {
        var request = HTTPClientRequest(url: apiURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "token \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .seconds(10))
        } catch {
            throw ProxyError("the proxy at \(apiURL) did not answer (\(error))")
        }
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard statuses.contains(response.status.code) else {
            throw ProxyError("the proxy answered \(response.status.code) to \(method) \(path)")
        }
        return Data(buffer: bytes)
    }
}

public struct ProxyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
