#if canImport(Glibc)
import Glibc
#endif
import CHTTPSystem
import Logging
import Synchronization

/// The HTTP/1.1 server: epoll loops on their own threads, one SO_REUSEPORT listener each.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let loops = Mutex<[EventLoop]>([])
    private let boundPort = Atomic<Int>(0)
    private let setupError: TLSSetupError?

    public init(configuration: HTTPServerConfiguration, router: Router, logger: Logger,
                observer: (any HTTPServerObserver)? = nil) {
        var tls: TLSContext?
        var setupError: TLSSetupError?
        if let t = configuration.tls {
            do { tls = try TLSContext(t) } catch { setupError = error }
        }
        self.setupError = setupError
        core = ServerCore(router: router, configuration: configuration, logger: logger, observer: observer, tls: tls)
    }

    /// The bound port (the kernel's choice when configured with 0); valid after `start()`.
    public var port: Int { boundPort.load(ordering: .acquiring) }

    public var openConnections: Int { core.openConnections.load(ordering: .relaxed) }

    /// Binds, listens and starts the loops; on return the server accepts connections. On failure
    /// nothing is left behind: no descriptor stays open, no loop runs, and `start` may be retried.
    public func start() throws {
        try start(spawn: Self.spawn)
    }

    /// `spawn` starts a loop's thread (tests make it fail).
    func start(spawn: (EventLoop) throws(HTTPServerError) -> Void) throws {
        if let setupError { throw HTTPServerError.tls(setupError) }
        let port = try loops.withLock { loops throws(HTTPServerError) -> Int in
            guard loops.isEmpty else { throw .alreadyStarted }
            Self.prepareProcess()
            let (made, port) = try makeLoops()
            for (i, loop) in made.enumerated() {
                do throws(HTTPServerError) {
                    try spawn(loop)
                } catch {
                    // Stop the loops already running (at once: nothing they may have accepted is
                    // kept); the others never ran, and free their descriptors as they go.
                    let running = made[..<i]
                    let now = EventLoop.monotonicNow()
                    for loop in running { loop.requestStop(deadline: now) }
                    while !running.allSatisfy({ $0.finished.load(ordering: .acquiring) }) { usleep(1000) }
                    throw error
                }
            }
            loops = made
            boundPort.store(port, ordering: .releasing)
            return port
        }
        core.logger.info("HTTP server listening", metadata: ["host": "\(core.configuration.host)", "port": "\(port)",
                                                              "tls": "\(core.tls != nil)", "loops": "\(core.configuration.loopCount)"])
    }

    /// One listener and one loop per configured loop; on failure closes what it opened.
    private func makeLoops() throws(HTTPServerError) -> ([EventLoop], Int) {
        let config = core.configuration
        var port = config.port
        var listeners: [Int32] = []  // not yet owned by a loop
        var made: [EventLoop] = []
        do throws(HTTPServerError) {
            if port != 0 {
                // SO_REUSEPORT would let a second server on the same port (same user) start and
                // silently take half the connections; a plain bind first says "in use" instead.
                close(try Self.listen(host: config.host, port: port, reusePort: false))
            }
            for _ in 0..<max(1, config.loopCount) {
                let fd = try Self.listen(host: config.host, port: port, reusePort: true)
                listeners.append(fd)
                if port == 0 { port = Self.localPort(fd) }
            }
            while let fd = listeners.first {
                made.append(try EventLoop(core: core, index: made.count, listenFD: fd))
                listeners.removeFirst()
            }
        } catch {
            for fd in listeners { close(fd) }
            throw error  // the loops made so far never ran: they close their descriptors as they go
        }
        return (made, port)
    }

    /// Stops accepting, lets in-flight requests finish (answered with `Connection: close`), closes
    /// idle connections, and returns when every loop has stopped — within the shutdown grace.
    public func shutdown() async {
        let current = loops.withLock { $0 }
        guard !current.isEmpty else { return }
        let deadline = EventLoop.monotonicNow() &+ core.configuration.timeouts.shutdownGrace.nanoseconds
        for loop in current { loop.requestStop(deadline: deadline) }
        while !current.allSatisfy({ $0.finished.load(ordering: .acquiring) }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// SIGPIPE would kill the process on a write to a closed socket; the descriptor limit caps connections.
    private static func prepareProcess() {
        signal(SIGPIPE, SIG_IGN)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    private static func listen(host: String, port: Int, reusePort: Bool) throws(HTTPServerError) -> Int32 {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = UInt16(port).bigEndian
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = UInt16(port).bigEndian
        } else {
            throw .invalidHost(host)
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            // One listener per loop: the kernel spreads connections and no loop wakes for another's accept.
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc: Int32
        if family == AF_INET {
            rc = withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            rc = withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard rc == 0, Glibc.listen(fd, 4096) == 0 else {
            let e = errno
            close(fd)
            throw .bind(host: host, port: port, errno: e)
        }
        return fd
    }

    private static func localPort(_ fd: Int32) -> Int {
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return withUnsafePointer(to: &addr) { p -> Int in
            if Int32(p.pointee.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    static func spawn(_ loop: EventLoop) throws(HTTPServerError) {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(loop).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            // Named for top -H, perf and /proc/PID/task/*/comm (at most 15 bytes); otherwise it
            // inherits the name of whichever thread started the server.
            _ = rcrp_set_thread_name("rcrp-loop-\(loop.index)")
            loop.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<EventLoop>.fromOpaque(box).release()
            throw .system(call: "pthread_create", errno: rc)
        }
        pthread_detach(thread)
    }
}
