/// Why the server could not start.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    case invalidHost(String)
    case system(call: String, errno: Int32)
    case bind(host: String, port: Int, errno: Int32)
    case tls(TLSSetupError)
    case alreadyStarted

    public var description: String {
        switch self {
        case .invalidHost(let h): return "'\(h)' is not an IPv4 or IPv6 address"
        case .system(let call, let e): return "\(call) failed: \(String(cString: strerror(e)))"
        case .bind(let h, let p, let e): return "cannot listen on \(h):\(p): \(String(cString: strerror(e)))"
        case .tls(let e): return e.description
        case .alreadyStarted: return "the server is already started"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
