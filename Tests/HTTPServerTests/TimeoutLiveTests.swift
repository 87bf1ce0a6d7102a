import Foundation
import Testing
@testable import HTTPServer

@Suite struct TimeoutLiveTests {
    @Test func tricklingHeaderGets408AndIsClosed() async throws {
        try await withServer(demoRouter(), configure: { $0.timeouts.headerRead = .milliseconds(600) }) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /healthz HTTP/1.1\r\n")
            Thread.sleep(forTimeInterval: 0.3)
            c.send("X-Slow: 1\r\n")
            let r = try c.readResponse()
            #expect(r.status == 408 && r.headers["Connection"] == "close")
            #expect(c.isClosedByServer())
        }
    }

    @Test func slowBodyGets408AndIsClosed() async throws {
        try await withServer(demoRouter(), configure: { $0.timeouts.bodyRead = .milliseconds(400) }) { server in
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let r = try c.readResponse()
            #expect(r.status == 408)
            #expect(c.isClosedByServer())
        }
    }

    @Test func silentConnectionIsClosedWithoutAResponse() async throws {
        try await withServer(demoRouter(), configure: { $0.timeouts.headerRead = .milliseconds(400) }) { server in
            let c = try RawClient(port: server.port)
            #expect(c.isClosedByServer())
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withServer(demoRouter(), configure: { $0.timeouts.idle = .milliseconds(400) }) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
            #expect(c.isClosedByServer())
        }
    }

    @Test func connectionsOverTheLimitGet503AndAreClosed() async throws {
        try await withServer(demoRouter(), configure: { $0.limits.maxConnections = 2; $0.loopCount = 1 }) { server in
            let a = try RawClient(port: server.port)
            let b = try RawClient(port: server.port)
            a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try a.readResponse().status == 200 && b.readResponse().status == 200)
            let c = try RawClient(port: server.port)
            let r = try c.readResponse()
            #expect(r.status == 503 && r.headers["Connection"] == "close")
            #expect(c.isClosedByServer())
        }
    }

    @Test func clientThatDoesNotReadIsNotReadFromAndIsClosedAfterTheWriteTimeout() async throws {
        try await withServer(demoRouter(), configure: {
            $0.timeouts.write = .milliseconds(500)
            $0.limits.maxUnsentBytes = 64 * 1024
        }) { server in
            let c = try RawClient(port: server.port, timeoutSeconds: 5, receiveBuffer: 4096)
            // Ask for far more than the socket buffers hold (10 MB), never read.
            c.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: 2000))
            Thread.sleep(forTimeInterval: 1.5)
            #expect(server.openConnections == 0)
        }
    }
}

