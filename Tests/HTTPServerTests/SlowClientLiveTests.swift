import Foundation
import Testing
@testable import HTTPServer

@Suite struct SlowClientLiveTests {
    /// The slow-client property at full scale but with a 2 s header timeout, so it runs in seconds:
    /// 300 connections trickling a head and 1,000 silent ones neither slow GET /healthz (p99 < 100 ms)
    /// nor stay open past their header timeout. (scripts/slow-clients.py checks the 10 s default
    /// against the real binary.)
    @Test func slowAndSilentConnectionsDoNotSlowOthersAndAreClosed() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 4000, "needs 4,000 descriptors for 1,300 connections at both ends")

        try await withServer(demoRouter(), configure: { $0.timeouts.headerRead = .seconds(2) }) { server in
            let idle = try (0..<1000).map { _ in try RawClient(port: server.port, timeoutSeconds: 1) }
            let tricklers = try (0..<300).map { _ in try RawClient(port: server.port, timeoutSeconds: 1) }
            let head = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "a", count: 100))\r\n\r\n".utf8)
            let stop = SharedFlag(false)
            // The thread lets go of its clients before it signals, so that none is closed after
            // this test returns (StartLiveTests counts the process's descriptors next).
            let shared = SharedFlag(tricklers)
            let finished = DispatchSemaphore(value: 0)
            let trickle = Thread {
                var position = 0
                while !stop.value && position < head.count {
                    for t in shared.value { t.send([head[position]]) }
                    position += 1
                    Thread.sleep(forTimeInterval: 0.1)
                }
                shared.value = []
                finished.signal()
            }
            trickle.start()
            defer {
                stop.value = true
                finished.wait()
            }

            let probe = try RawClient(port: server.port)
            var latencies: [Double] = []
            let until = Date().addingTimeInterval(1.5)
            while Date() < until {
                let t0 = DispatchTime.now().uptimeNanoseconds
                probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try probe.readResponse()
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                #expect(r.status == 200)
            }
            latencies.sort()
            let p99 = latencies[max(0, latencies.count * 99 / 100 - 1)]
            #expect(latencies.count > 100)
            #expect(p99 < 100, "p99 \(p99) ms over \(latencies.count) requests")

            // Header timeout (2 s from accept) plus a sweep: only the probe may remain.
            let deadline = Date().addingTimeInterval(5)
            while server.openConnections > 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(server.openConnections == 1, "\(server.openConnections - 1) slow connections still open")
            #expect(idle.prefix(50).allSatisfy { $0.isClosedByServer() })
            #expect(tricklers.prefix(50).allSatisfy { $0.isClosedByServer() })
        }
    }
}

/// A flag shared between the test thread and the trickling thread.
final class SharedFlag<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
