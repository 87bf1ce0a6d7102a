import Foundation
import Testing
@testable import HTTPServer

/// start() either serves or leaves nothing behind: no descriptor, no loop that shutdown waits for.
/// The descriptor counts are process-wide, so the two tests never overlap; other suites must not
/// run beside them either (`scripts/test.sh` runs `swift test --no-parallel`).
@Suite(.serialized) struct StartLiveTests {
    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// A listening socket on a free port of 127.0.0.1, without SO_REUSEPORT: the port is taken.
    private func occupyPort() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        _ = listen(fd, 8)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// One whole start, exchange and shutdown before counting: the runtime opens a few descriptors
    /// of its own the first time (Dispatch, Foundation's threads), and they stay open for good.
    private func warmUp() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
                                router: demoRouter(), logger: .init(label: "test"))
        try server.start()
        let port = server.port
        _ = try await offPool { try exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        await server.shutdown()
    }

    @Test func startOnAPortInUseFailsLeavingNoDescriptorAndShutdownReturns() async throws {
        try await warmUp()
        let (blocker, port) = occupyPort()
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: port)
        config.loopCount = 3
        let server = HTTPServer(configuration: config, router: demoRouter(), logger: .init(label: "test"))
        let before = openDescriptors()
        #expect(throws: HTTPServerError.self) { try server.start() }
        #expect(openDescriptors() == before)
        await server.shutdown()
        // Once the port is free the same server starts and serves.
        close(blocker)
        try server.start()
        let r = try await offPool { try exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(r.status == 200)
        await server.shutdown()
    }

    @Test func aLoopThatFailsToStartStopsTheOthersAndLeavesNoDescriptor() async throws {
        try await warmUp()
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 3
        let server = HTTPServer(configuration: config, router: demoRouter(), logger: .init(label: "test"))
        let before = openDescriptors()
        var spawned = 0
        #expect(throws: HTTPServerError.self) {
            try server.start { loop throws(HTTPServerError) in
                spawned += 1
                if spawned == 2 { throw .system(call: "pthread_create", errno: EAGAIN) }
                try HTTPServer.spawn(loop)
            }
        }
        #expect(spawned == 2)
        #expect(openDescriptors() == before)  // the running loop stopped, the others never ran
        await server.shutdown()               // returns: no loop is left to wait for
        try server.start()
        let port = server.port
        let r = try await offPool { try exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(r.status == 200)
        await server.shutdown()
        #expect(openDescriptors() == before)
    }
}
