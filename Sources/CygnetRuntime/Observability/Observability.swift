public import Hummingbird
import Metrics
public import Prometheus

/// Prometheus metrics and the health endpoints every service exposes under its path prefix:
/// `…/healthz` (the process answers), `…/readyz` (its dependencies answer), `…/metrics`.
public struct Observability: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Routes swift-metrics to this registry; call once per process from the executable.
    public func bootstrapMetrics() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Adds the three endpoints to `router`; `readiness` throws when a dependency is down.
    public func addRoutes<Context: RequestContext>(
        to router: RouterGroup<Context>,
        readiness: @escaping @Sendable () async throws -> Void
    ) {
        router.get("healthz") { _, _ in
            Self.plain("ok\n")
        }
        router.get("readyz") { _, _ in
            do {
                try await readiness()
                return Self.plain("ready\n")
            } catch {
                return Self.plain("not ready: \(error)\n", status: .serviceUnavailable)
            }
        }
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    static func plain(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
