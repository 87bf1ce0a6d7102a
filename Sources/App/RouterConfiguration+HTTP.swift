import HTTPServer

extension RouterConfiguration {
    /// The HTTP server's part of the configuration: address, limits, timeouts and TLS.
    public var httpServerConfiguration: HTTPServerConfiguration {
        var http = HTTPServerConfiguration(host: listen.host, port: listen.port)
        if listen.eventLoops > 0 { http.loopCount = listen.eventLoops }
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
