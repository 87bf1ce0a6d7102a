#if canImport(Glibc)
import Glibc
#endif

/// Where and how the server listens.
public struct HTTPServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 asks the kernel for a free port; `HTTPServer.port` tells which.
    public var port = 8080
    /// Event-loop threads; one per core by default.
    public var loopCount = HTTPServerConfiguration.coreCount
    public var limits = HTTPLimits()
    public var timeouts = HTTPTimeouts()
    /// HTTPS when set.
    public var tls: TLSConfiguration?
    /// The `Server` header value.
    public var serverName = "rcrp-router"

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }

    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
