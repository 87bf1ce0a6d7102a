import HTTPServer

extension RouterConfiguration {
    /// The event loops when `listen.event_loops` is 0: one per core but one, at least one. The
    /// core left over is the committer's: every durable write waits on that one thread, which
    /// decides, writes and folds each batch, and with a loop on every core it shared a CPU with
    /// busy loops and waited for one after each fsync (`perf sched`: up to 0.74 ms). On the
    /// 2-core reference machine, one loop against two (seventeenth session, README
    /// "Performance"): durable calls 34–39k against 29–38k req/s on fresh servers and 44k against
    /// 30–35k in `api.sh`; `GET /healthz` p99 0.76–0.86 ms against 2.9–3.7 ms (Hummingbird's
    /// 1.4–2.4 ms in the same runs); `POST /v1/triage`, which records nothing and is CPU-bound
    /// on the loops, 45–49k against 53–77k req/s, still 1.4–1.6× the anchor. Set `event_loops`
    /// to the core count for a host that mostly triages without recording.
    public static func automaticEventLoops(cores: Int) -> Int {
        max(1, cores - 1)
    }

    /// The HTTP server's part of the configuration: address, limits, timeouts and TLS.
    public var httpServerConfiguration: HTTPServerConfiguration {
        var http = HTTPServerConfiguration(host: listen.host, port: listen.port)
        http.loopCount = listen.eventLoops > 0 ? listen.eventLoops : Self.automaticEventLoops(cores: HTTPServerConfiguration.coreCount)
        http.limits.maxRequestLineBytes = limits.maxRequestLineBytes
        http.limits.maxHeaderBytes = limits.maxHeaderBytes
        http.limits.maxHeaderCount = limits.maxHeaderCount
        http.limits.maxBodyBytes = limits.maxBodyBytes
        http.limits.maxDecompressedBodyBytes = limits.maxDecompressedBodyBytes
        http.limits.maxPipelinedRequests = limits.maxPipelinedRequests
        http.limits.maxConnections = limits.maxConnections
        http.timeouts.headerRead = .seconds(timeouts.headerReadSeconds)
        http.timeouts.bodyRead = .seconds(timeouts.bodyReadSeconds)
        http.timeouts.idle = .seconds(timeouts.idleSeconds)
        http.timeouts.write = .seconds(timeouts.writeSeconds)
        http.timeouts.tlsHandshake = .seconds(timeouts.tlsHandshakeSeconds)
        http.timeouts.shutdownGrace = .seconds(timeouts.shutdownGraceSeconds)
        if let tls {
            http.tls = TLSConfiguration(certificateChainPath: tls.certificateChainFile, privateKeyPath: tls.privateKeyFile)
        }
        return http
    }
}
