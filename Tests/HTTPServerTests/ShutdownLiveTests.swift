import Foundation
import Testing
@testable import HTTPServer

@Suite struct ShutdownLiveTests {
    @Test func shutdownFinishesInFlightRequestsWithConnectionCloseAndClosesIdleOnes() async throws {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 1
        config.timeouts.shutdownGrace = .seconds(20) // room for a busy concurrency pool to run the handler
        let server = HTTPServer(configuration: config, router: demoRouter(), logger: .init(label: "test"))
        try server.start()
        let port = server.port
        let idle = try RawClient(port: port)
        let busy = try RawClient(port: port)
        busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        await server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(25))
        let (response, idleClosed) = try await offPool { (try busy.readResponse(), idle.isClosedByServer()) }
        #expect(response.status == 200 && response.text == "slow" && response.headers["Connection"] == "close")
        #expect(idleClosed)
        #expect(throws: RawClientError.self) { _ = try RawClient(port: port) }
    }

    @Test func shutdownGraceBoundsAHandlerThatNeverFinishes() async throws {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 1
        config.timeouts.shutdownGrace = .milliseconds(300)
        var router = Router()
        router.on(.GET, "/forever") { _ in
            try? await Task.sleep(for: .seconds(30))
            return .text(200, "late")
        }
        let server = HTTPServer(configuration: config, router: router, logger: .init(label: "test"))
        try server.start()
        let c = try RawClient(port: server.port)
        c.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        await server.shutdown()
        // The handler would take 30 s; the grace is 0.3 s. The bound leaves room for a busy concurrency
        // pool delaying shutdown()'s own resumption, and still fails if the grace is not enforced.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(try await offPool { c.isClosedByServer() })
    }
}

@Suite struct ListenLiveTests {
    @Test func secondServerOnAPortInUseFailsToStart() async throws {
        try await withServer(demoRouter()) { first in
            var config = HTTPServerConfiguration(host: "127.0.0.1", port: first.port)
            config.loopCount = 2
            let second = HTTPServer(configuration: config, router: demoRouter(), logger: .init(label: "test"))
            #expect(throws: HTTPServerError.self) { try second.start() }
        }
    }
}
