import CCurl
import Foundation
import Synchronization

/// Blocking HTTP GETs with libcurl, for FUSE worker threads that must wait for an object anyway. Easy handles
/// are pooled so connections to the servers stay open between requests.
final class HTTPFetcher: Sendable {
    struct Timeouts: Sendable {
        /// Seconds to connect to a server or proxy.
        var connect: Double = 3
        /// A transfer slower than 1 KiB/s for this many seconds is given up.
        var stall: Int = 5
        /// Hard upper bound for one request, in seconds.
        var total: Double = 60
    }

    enum Failure: Error {
        case transport(String)
        case status(Int)
        case tooLarge
    }

    private let timeouts: Timeouts
    private let idleHandles = Mutex<[CurlHandle]>([])

    init(timeouts: Timeouts) {
        self.timeouts = timeouts
        _ = Self.globalInit
    }

    deinit {
        idleHandles.withLock { handles in
            for handle in handles { curl_easy_cleanup(handle.pointer) }
        }
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// GETs `url`, through `proxy` when given ("" or nil = direct); refuses bodies over `limit` bytes.
    func get(_ url: String, proxy: String?, limit: Int = 1 << 32) -> Result<[UInt8], Failure> {
        let pooled = checkOut()
        defer { checkIn(pooled) }
        let handle = pooled.pointer
        let sink = ResponseSink(limit: limit, handle: handle)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        curl_easy_reset(handle)
        cygnet_curl_set_string(handle, CURLOPT_URL, url)
        cygnet_curl_set_string(handle, CURLOPT_PROXY, proxy ?? "")
        cygnet_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        cygnet_curl_set_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        cygnet_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        cygnet_curl_set_long(handle, CURLOPT_MAXREDIRS, 3)
        cygnet_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000))
        cygnet_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000))
        cygnet_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1024)
        cygnet_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, timeouts.stall)
        cygnet_curl_set_string(handle, CURLOPT_USERAGENT, "cygnet-software")
        cygnet_curl_set_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        cygnet_curl_set_write_function(handle) { data, size, count, context in
            let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            guard sink.bytes.count + length <= sink.limit else { return 0 }
            sink.reserveForContentLength()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return length
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            if sink.bytes.count >= sink.limit { return .failure(.tooLarge) }
            return .failure(.transport(String(cString: curl_easy_strerror(code))))
        }
        var status = 0
        cygnet_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard status == 200 else { return .failure(.status(status)) }
        return .success(sink.bytes)
    }

    private func checkOut() -> CurlHandle {
        if let handle = idleHandles.withLock({ $0.popLast() }) { return handle }
        guard let handle = curl_easy_init() else { fatalError("libcurl could not create a handle") }
        return CurlHandle(pointer: handle)
    }

    private func checkIn(_ handle: CurlHandle) {
        idleHandles.withLock { $0.append(handle) }
    }
}

/// Collects one response body; owned by one request on one thread.
private final class ResponseSink {
    let limit: Int
    let handle: UnsafeMutableRawPointer
    var bytes: [UInt8] = []
    private var reserved = false

    init(limit: Int, handle: UnsafeMutableRawPointer) {
        self.limit = limit
        self.handle = handle
    }

    /// Sizes the buffer once from Content-Length (known when the body starts), instead of growing it.
    func reserveForContentLength() {
        guard !reserved else { return }
        reserved = true
        var length: curl_off_t = -1
        if cygnet_curl_get_offset(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK, length > 0 {
            bytes.reserveCapacity(min(Int(length), limit))
        }
    }
}

/// An idle easy handle in the pool; only one request uses it at a time.
private struct CurlHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
