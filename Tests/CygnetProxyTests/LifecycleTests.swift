import CygnetProxy
import NIOHTTP1
import Testing

@Suite struct LifecycleTests {
    @Test func shutdownLetsTheRequestInFlightFinish() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let backend: @Sendable (TestUpstream.Request) -> TestUpstream.Reply = { _ in
            arrived.yield()
            return .init(body: .delayed(.milliseconds(300), "finished"))
        }
        try await TestUpstream.with(backend) { slow in
            try await withProxy(defaultTarget: slow.url) { proxy in
                try await withThrowingTaskGroup(of: TestClient.Response.self) { tasks in
                    tasks.addTask {
                        try await TestClient.with(port: proxy.port) { try await $0.request(.GET, "/slow") }
                    }
                    for await _ in arrivals { break }
                    await proxy.shutdown()
                    let finished = try #require(try await tasks.next())
                    #expect(finished.status == .ok)
                    #expect(finished.text == "finished")
                }
            }
        }
    }
}
