public import Hummingbird

/// An HTML page as every Cygnet service sends it: never cached, never shown in someone else's frame.
public enum HTMLPage {
    public static func response(
        _ html: String, status: HTTPResponse.Status = .ok, referrerPolicy: String = "no-referrer",
        headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.init("X-Frame-Options")!] = "DENY"
        fields[.init("Referrer-Policy")!] = referrerPolicy
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
