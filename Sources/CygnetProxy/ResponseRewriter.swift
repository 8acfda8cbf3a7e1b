import NIOHTTP1

/// Turns an upstream response head into the one the client receives. The response encoder is
/// configured not to touch framing headers, so this decides framing: it knows the request
/// method (a HEAD response never has a body) and the client's HTTP version, which the encoder
/// on its own does not.
enum ResponseRewriter {
    /// - Returns: the head to send and whether the client connection must close after the body,
    ///   which is the case when the body can only be delimited by closing the connection.
    static func clientHead(
        from upstream: HTTPResponseHead,
        requestMethod: HTTPMethod,
        clientVersion: HTTPVersion,
        closeAfterResponse: Bool
    ) -> (head: HTTPResponseHead, closeAfterResponse: Bool) {
        let code = upstream.status.code
        let connectionOptions = HeaderName.connectionOptions(upstream.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.headers.count + 2)
        var hasContentLength = false
        for (name, value) in upstream.headers {
            if HeaderName.isHopByHop(name) || HeaderName.matches(name, "transfer-encoding")
                || HeaderName.isListed(name, in: connectionOptions)
            {
                continue
            }
            hasContentLength = hasContentLength || HeaderName.matches(name, "content-length")
            headers.add(name: name, value: value)
        }

        var close = closeAfterResponse
        let isInformational = (100..<200).contains(code)
        if !isInformational {
            let hasBody = requestMethod != .HEAD && code != 204 && code != 304
            if hasBody && !hasContentLength {
                if clientVersion.minor >= 1 {
                    headers.add(name: "transfer-encoding", value: "chunked")
                } else {
                    close = true
                }
            }
            if close {
                headers.add(name: "connection", value: "close")
            } else if clientVersion.minor == 0 {
                headers.add(name: "connection", value: "keep-alive")
            }
        }
        return (HTTPResponseHead(version: .http1_1, status: upstream.status, headers: headers), close)
    }
}
