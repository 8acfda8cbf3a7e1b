import Foundation

/// Tries to listen on an address and port the way a server would, then lets go at once.
enum PortProbe {
    enum Result: Equatable {
        case free
        case inUse
        case unavailable(String)
    }

    static func canListen(host: String, port: Int) -> Result {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(host == "localhost" ? "127.0.0.1" : host, String(port), &hints, &list)
        guard lookup == 0, let address = list else {
            return .unavailable("the address '\(host)' is not known (\(String(cString: gai_strerror(lookup))))")
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard descriptor >= 0 else { return .unavailable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        // As servers do, so a port left in TIME_WAIT by a stopped server counts as free.
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0,
            listen(descriptor, 1) == 0
        {
            return .free
        }
        switch errno {
        case EADDRINUSE: return .inUse
        case EACCES: return .unavailable("ports below 1024 need administrator rights")
        default: return .unavailable(String(cString: strerror(errno)))
        }
    }
}
