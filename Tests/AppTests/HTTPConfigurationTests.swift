import HTTPServer
import Testing
@testable import App

@Suite struct HTTPConfigurationTests {
    @Test func defaultsMatchTheServersOwn() {
        let mapped = RouterConfiguration().httpServerConfiguration
        let own = HTTPServerConfiguration()
        #expect(mapped.host == own.host)
        #expect(mapped.port == own.port)
        // The one difference: the service leaves a core to its committer.
        #expect(own.loopCount == HTTPServerConfiguration.coreCount)
        #expect(mapped.loopCount == RouterConfiguration.automaticEventLoops(cores: HTTPServerConfiguration.coreCount))
        #expect(mapped.limits.maxBodyBytes == own.limits.maxBodyBytes)
        #expect(mapped.limits.maxDecompressedBodyBytes == own.limits.maxDecompressedBodyBytes)
        #expect(mapped.limits.maxRequestLineBytes == own.limits.maxRequestLineBytes)
        #expect(mapped.limits.maxHeaderBytes == own.limits.maxHeaderBytes)
        #expect(mapped.limits.maxHeaderCount == own.limits.maxHeaderCount)
        #expect(mapped.limits.maxPipelinedRequests == own.limits.maxPipelinedRequests)
        #expect(mapped.limits.maxConnections == own.limits.maxConnections)
        #expect(mapped.timeouts.headerRead == own.timeouts.headerRead)
        #expect(mapped.timeouts.idle == own.timeouts.idle)
        #expect(mapped.timeouts.shutdownGrace == own.timeouts.shutdownGrace)
        #expect(mapped.tls == nil)
    }

    /// Automatic event loops leave one core to the committer, and never fall to none.
    @Test func automaticEventLoopsLeaveACoreToTheCommitter() throws {
        #expect(RouterConfiguration.automaticEventLoops(cores: 1) == 1)
        #expect(RouterConfiguration.automaticEventLoops(cores: 2) == 1)
        #expect(RouterConfiguration.automaticEventLoops(cores: 4) == 3)
        #expect(RouterConfiguration.automaticEventLoops(cores: 64) == 63)
        let explicit = try ConfigurationLoader.parse(yaml: "listen: {event_loops: 2}", file: "t.yaml", environment: [:]).configuration
        #expect(explicit.httpServerConfiguration.loopCount == 2)
        let automatic = try ConfigurationLoader.parse(yaml: "listen: {event_loops: 0}", file: "t.yaml", environment: [:]).configuration
        #expect(automatic.httpServerConfiguration.loopCount == max(1, HTTPServerConfiguration.coreCount - 1))
    }

    @Test func everySettingReachesTheServer() throws {
        let settings = try ConfigurationLoader.parse(yaml: """
            listen: {host: 0.0.0.0, port: 9443, event_loops: 3}
            tls: {certificate_chain_file: /c.pem, private_key_file: /k.pem}
            limits: {max_request_line_bytes: 1024, max_header_bytes: 2048, max_header_count: 20, max_body_bytes: 4096,
                     max_decompressed_body_bytes: 8192, max_pipelined_requests: 4, max_connections: 100}
            timeouts: {header_read_seconds: 1, body_read_seconds: 2, idle_seconds: 3, write_seconds: 4,
                       tls_handshake_seconds: 5, shutdown_grace_seconds: 6}
            """, file: "t.yaml", environment: [:]).configuration
        let http = settings.httpServerConfiguration
        #expect(http.host == "0.0.0.0")
        #expect(http.port == 9443)
        #expect(http.loopCount == 3)
        #expect(http.tls?.certificateChainPath == "/c.pem")
        #expect(http.tls?.privateKeyPath == "/k.pem")
        #expect(http.limits.maxRequestLineBytes == 1024)
        #expect(http.limits.maxHeaderBytes == 2048)
        #expect(http.limits.maxHeaderCount == 20)
        #expect(http.limits.maxBodyBytes == 4096)
        #expect(http.limits.maxDecompressedBodyBytes == 8192)
        #expect(http.limits.maxPipelinedRequests == 4)
        #expect(http.limits.maxConnections == 100)
        #expect(http.timeouts.headerRead == .seconds(1))
        #expect(http.timeouts.bodyRead == .seconds(2))
        #expect(http.timeouts.idle == .seconds(3))
        #expect(http.timeouts.write == .seconds(4))
        #expect(http.timeouts.tlsHandshake == .seconds(5))
        #expect(http.timeouts.shutdownGrace == .seconds(6))
    }
}
