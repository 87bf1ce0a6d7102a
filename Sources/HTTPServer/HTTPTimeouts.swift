/// Every wait on a client is bounded, on by default (nginx's separate timeouts are the model).
public struct HTTPTimeouts: Sendable {
    /// From accept (first request) or from a request's first byte, until its head is complete. Then 408.
    public var headerRead: Duration = .seconds(10)
    /// Between two reads of a body still arriving. Then 408.
    public var bodyRead: Duration = .seconds(30)
    /// A keep-alive connection with nothing to do. Then closed quietly.
    public var idle: Duration = .seconds(60)
    /// Between two writes that make progress while response bytes wait. Then closed.
    public var write: Duration = .seconds(30)
    /// From accept until the TLS handshake completes.
    public var tlsHandshake: Duration = .seconds(10)
    /// How long shutdown() lets in-flight requests finish before closing what is left.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}

extension Duration {
    var nanoseconds: UInt64 {
        let (s, a) = components
        return UInt64(max(0, s)) &* 1_000_000_000 &+ UInt64(max(0, a / 1_000_000_000))
    }
}
