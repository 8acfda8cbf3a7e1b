import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Asks a service's health endpoint whether it answers: true for HTTP 200, false for anything else, including
/// "connection refused" while the service is still starting.
struct HealthProbe: Sendable {
    let url: String
    var timeout: Duration = .seconds(2)

    func check() async -> Bool {
        do {
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: url), timeout: .init(timeout))
            _ = try await response.body.collect(upTo: 64 * 1024)
            return response.status == .ok
        } catch {
            return false
        }
    }
}

extension TimeAmount {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
