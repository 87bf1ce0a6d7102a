import Logging
import Synchronization
import Testing
@testable import HTTPServer

/// Records what the server reports, for checking the metrics hook.
final class RecordingObserver: HTTPServerObserver {
    let finished = Mutex<[(route: String?, status: Int)]>([])
    let maxOpen = Atomic<Int>(0)

    func requestFinished(method: HTTPMethod, route: String?, status: Int, seconds: Double) {
        finished.withLock { $0.append((route, status)) }
    }

    func connectionsChanged(open: Int) {
        _ = maxOpen.max(open, ordering: .relaxed)
    }
}

@Suite struct ObserverLiveTests {
    @Test func observerHearsOfEveryRequestWithItsRouteTemplate() async throws {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 1
        let observer = RecordingObserver()
        let server = HTTPServer(configuration: config, router: demoRouter(), logger: Logger(label: "test"), observer: observer)
        try server.start()
        let port = server.port
        try await offPool {
            let c = try RawClient(port: port)
            c.send("GET /v1/calls/9 HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try c.readResponse()
            _ = try c.readResponse()
        }
        await server.shutdown()
        // Reported as each handler finishes, so the quick 404 may come before the async 200.
        let seen = observer.finished.withLock { $0 }.map { "\($0.route ?? "-") \($0.status)" }.sorted()
        #expect(seen == ["- 404", "/v1/calls/{call_id} 200"])
        #expect(observer.maxOpen.load(ordering: .relaxed) == 1)
        #expect(server.openConnections == 0)
    }
}
