import NIOHTTP1

/// What a client connection remembers about the request it is currently relaying.
struct Exchange {
    let route: Route
    let upstreamHead: HTTPRequestHead
    let clientVersion: HTTPVersion
    let clientKeepAlive: Bool
    let isUpgrade: Bool
    var requestComplete = false
    var sentRequestBody = false
    var responseStarted = false
    var upstreamKeepAlive = true
    var closeAfterResponse = false
    var reusedConnection = false
    /// A `101` from the backend, held until its end so the switch happens between messages.
    var switchingProtocols: HTTPResponseHead?

    var method: HTTPMethod { upstreamHead.method }

    /// A backend may close an idle keep-alive connection just as it is reused. Such a request
    /// never reached it, so it is safe to send again on a fresh connection, but only if it
    /// carried no body (which has been streamed away and cannot be replayed).
    var canRetry: Bool {
        reusedConnection && requestComplete && !sentRequestBody && !responseStarted && !isUpgrade
    }
}
