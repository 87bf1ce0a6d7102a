#if canImport(Glibc)
import Glibc
#endif
import CHTTPSystem
import Logging
import Synchronization

/// One epoll loop on its own thread: accepts on its own SO_REUSEPORT listener, reads, parses, runs
/// quick handlers inline, writes. Async handlers finish elsewhere and hand their response back
/// through `post`, which wakes the loop with its eventfd.
final class EventLoop: @unchecked Sendable {
    /// Where an answer goes: the connection (its fd and its id, since fds are reused) and the
    /// request's place in its pipeline. The rest of what finishing needs waits in that slot.
    /// (The 4-byte fd last: 20 bytes, so a `Responder` holding one packs into 89 bytes.)
    struct Position: Sendable {
        var connectionID: UInt64
        var sequence: UInt64
        var fd: Int32
    }

    /// A response from another thread (an async handler, a responder), on its way back to the
    /// loop that owns the connection.
    struct Completion: Sendable {
        var position: Position
        var response: HTTPResponse
    }

    private static let sweepInterval: UInt64 = 250_000_000
    private static let lingerTime: UInt64 = 2_000_000_000
    private static let readBufferSize = 65536

    let core: ServerCore
    let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private var listenFD: Int32
    private var listenerPaused = false

    /// Shared with other threads: completions to deliver, and the stop request.
    private let inbox = Mutex<(completions: [Completion], closed: Bool)>(([], false))
    /// Set with the first completion posted to an empty inbox: the loop checks it between two
    /// connections' events, so an answer (a durable call's 201) does not wait for the rest of a
    /// long epoll batch of other requests before it is written.
    private let hasMail = Atomic<Bool>(false)
    private let stopDeadline = Atomic<UInt64>(0)
    let finished = Atomic<Bool>(false)
    /// Set when `run` starts: from then on the loop closes its own descriptors.
    private var ran = false

    // Loop-thread state.
    private var connections = ConnectionTable()
    private var draining = false
    private var drainDeadline: UInt64 = 0
    private var now: UInt64 = 0
    private var lastSweep: UInt64 = 0
    private var nextConnectionID: UInt64 = 0
    private var date = HTTPDate()
    private var requestIDs: RequestID
    private let readBuffer: UnsafeMutableRawBufferPointer
    private static let maxIOVecs = 64
    private let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: EventLoop.maxIOVecs)
    private let limits: HTTPLimits

    init(core: ServerCore, index: Int, listenFD: Int32) throws(HTTPServerError) {
        self.core = core
        self.index = index
        self.listenFD = listenFD
        self.limits = core.configuration.limits
        (epfd, wakeFD) = try Self.makeDescriptors()
        requestIDs = RequestID(loop: index)
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        register(wakeFD, events: UInt32(RCRP_EPOLLIN))
        register(listenFD, events: UInt32(RCRP_EPOLLIN))
    }

    /// Creates the loop's own descriptors; on failure closes whichever it made.
    private static func makeDescriptors() throws(HTTPServerError) -> (epfd: Int32, wakeFD: Int32) {
        let epfd = rcrp_epoll_create()
        guard epfd >= 0 else { throw .system(call: "epoll_create1", errno: errno) }
        let wakeFD = rcrp_eventfd()
        guard wakeFD >= 0 else {
            let e = errno
            close(epfd)
            throw .system(call: "eventfd", errno: e)
        }
        return (epfd, wakeFD)
    }

    /// A loop that will never run (start() failed after making it) gives its descriptors back;
    /// a loop that ran closed them itself on the way out.
    deinit {
        if !ran {
            close(wakeFD)
            close(epfd)
            if listenFD >= 0 { close(listenFD) }
        }
        readBuffer.deallocate()
        iovecs.deallocate()
    }

    static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    // MARK: - Cross-thread entry points

    /// Hands a finished async response to the loop; dropped if the loop has already stopped.
    func post(_ completion: Completion) {
        // Signal inside the lock: the loop closes wakeFD under it, so the descriptor cannot have
        // been closed and reused by another file when we write to it.
        inbox.withLock { box in
            guard !box.closed else { return }
            box.completions.append(completion)
            if box.completions.count == 1 {
                hasMail.store(true, ordering: .relaxed)
                signal()
            }
        }
    }

    /// Asks the loop to drain: stop accepting, finish in-flight work, close by `deadline`.
    func requestStop(deadline: UInt64) {
        stopDeadline.store(deadline, ordering: .releasing)
        inbox.withLock { box in
            if !box.closed { signal() }
        }
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: - The loop

    func run() {
        ran = true
        let capacity = Int(RCRP_MAX_EVENTS)
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let flagsOf = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            tokens.deallocate()
            flagsOf.deallocate()
        }
        now = Self.monotonicNow()
        lastSweep = now
        while true {
            let timeout: Int32 = (connections.count > 0 || draining || listenerPaused) ? Int32(Self.sweepInterval / 1_000_000) : -1
            let n = rcrp_epoll_wait(epfd, tokens, flagsOf, Int32(capacity), timeout)
            now = Self.monotonicNow()
            if n < 0 && errno != EINTR {
                core.logger.critical("epoll_wait failed", metadata: ["errno": "\(errno)"])
                break
            }
            for i in 0..<Int(max(n, 0)) {
                let token = tokens[i]
                let flags = flagsOf[i]
                if token == UInt64(UInt32(bitPattern: wakeFD)) {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    deliverCompletions()
                } else if listenFD >= 0 && token == UInt64(UInt32(bitPattern: listenFD)) {
                    acceptConnections()
                } else if let c = connections.connection(for: token) {
                    // A connection closed earlier in this batch has no entry (or its fd now
                    // belongs to a newer connection with another id): its stale event is dropped.
                    handle(c, flags)
                    if hasMail.load(ordering: .relaxed) { deliverCompletions() }
                }
            }
            if !draining, stopDeadline.load(ordering: .acquiring) != 0 { beginDrain() }
            if now &- lastSweep >= Self.sweepInterval { sweep() }
            if draining && connections.count == 0 { break }
        }
        inbox.withLock { box in
            box.closed = true
            box.completions = []
            close(wakeFD)
        }
        if listenFD >= 0 { close(listenFD) }
        close(epfd)
        finished.store(true, ordering: .releasing)
    }

    /// The loop's own descriptors carry their fd as their token (a zero id half).
    private func register(_ fd: Int32, events: UInt32, token: UInt64? = nil) {
        _ = rcrp_epoll_ctl(epfd, Int32(RCRP_EPOLL_CTL_ADD), fd, events, token ?? UInt64(UInt32(bitPattern: fd)))
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<128 {
            var addr = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    rcrp_accept(listenFD, $0, &len)
                }
            }
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop listening until the next sweep instead of spinning.
                    core.logger.warning("accept paused: out of file descriptors", metadata: ["errno": "\(errno)"])
                    _ = rcrp_epoll_ctl(epfd, Int32(RCRP_EPOLL_CTL_DEL), listenFD, 0, 0)
                    listenerPaused = true
                    return
                default: return
                }
            }
            if draining {
                close(fd)
                continue
            }
            let open = core.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
            if open > limits.maxConnections {
                core.openConnections.wrappingSubtract(1, ordering: .relaxed)
                refuseOverCapacity(fd)
                continue
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var session: TLSSession?
            if let tls = core.tls {
                guard let s = tls.makeSession(fd: fd) else {
                    core.openConnections.wrappingSubtract(1, ordering: .relaxed)
                    close(fd)
                    continue
                }
                session = s
            }
            nextConnectionID &+= 1
            let c = Connection(fd: fd, id: nextConnectionID, remoteAddress: Self.describe(addr), limits: limits,
                               timer: ConnectionTimer(timeouts: core.configuration.timeouts, acceptedAt: now, tls: session != nil),
                               tls: session)
            connections.insert(c)
            c.interest = UInt32(RCRP_EPOLLIN)
            register(fd, events: c.interest, token: ConnectionTable.token(fd: fd, id: c.id))
            core.observer?.connectionsChanged(open: open)
        }
    }

    /// Over maxConnections: a best-effort 503, then close, without holding a slot.
    private func refuseOverCapacity(_ fd: Int32) {
        let id = requestIDs.next()
        let response = HTTPResponse.serverProblem(503, detail: "The server is at its connection limit; retry shortly.",
                                                  requestID: id, headers: ["Retry-After": "1"])
        let ctx = ResponseContext(isHead: false, keepAlive: false, minorVersion: 1, requestID: id, acceptsGzip: false)
        let (head, body) = ResponseEncoder.encode(response, ctx, date: date.current(), serverName: core.serverName)
        let bytes = head + body
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    private static func describe(_ addr: sockaddr_storage) -> String {
        var a = addr
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(a.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var ip = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &ip, &buf, socklen_t(buf.count))
                    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":\(UInt16(bigEndian: sin.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var ip = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &ip, &buf, socklen_t(buf.count))
                    return "[" + String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "]:\(UInt16(bigEndian: sin.pointee.sin6_port))"
                }
            }
        default:
            return ""
        }
    }

    // MARK: - Events on a connection

    private func handle(_ c: Connection, _ flags: UInt32) {
        if flags & (UInt32(RCRP_EPOLLHUP) | UInt32(RCRP_EPOLLERR)) != 0 {
            // Reset or closed both ways: nothing can be delivered, and level-triggered HUP would spin.
            closeConnection(c)
            return
        }
        if let tls = c.tls, !tls.handshakeDone {
            continueHandshake(c, tls)
            return
        }
        if flags & UInt32(RCRP_EPOLLOUT) != 0, c.tlsWait == .write, c.output.isEmpty {
            // SSL_read wanted to write (a TLS 1.3 key update, say) and nothing of ours is queued:
            // retry the read now, or level-triggered EPOLLOUT would spin the loop forever.
            c.tlsWait = .none
            readable(c)
            if !connections.contains(c) { return }
            updateInterest(c)
            return
        }
        if flags & UInt32(RCRP_EPOLLOUT) != 0 || c.tlsWait != .none {
            flush(c)
            if !connections.contains(c) { return }
        }
        if flags & UInt32(RCRP_EPOLLIN) != 0 {
            readable(c)
            if !connections.contains(c) { return }
        }
        updateInterest(c)
    }

    private func continueHandshake(_ c: Connection, _ tls: TLSSession) {
        switch tls.handshake() {
        case .done:
            c.timer.handshakeCompleted(at: now)
            c.tlsWait = .none
            readable(c) // the client's first request may already be in OpenSSL's buffer
            if !connections.contains(c) { return }
        case .wantRead: c.tlsWait = .read
        case .wantWrite: c.tlsWait = .write
        case .closed, .failed:
            closeConnection(c)
            return
        }
        updateInterest(c)
    }

    private func readable(_ c: Connection) {
        if let linger = c.lingerUntil {
            discardInput(c, until: linger)
            return
        }
        guard wantsRead(c) else { return }
        let base = readBuffer.baseAddress!
        if let tls = c.tls {
            readLoop: while true {
                switch tls.read(into: base, count: Self.readBufferSize) {
                case .done(let n):
                    c.parser.append(UnsafeRawBufferPointer(start: base, count: n))
                    c.timer.bytesReceived(at: now)
                    if n < Self.readBufferSize && !tls.hasBufferedInput { break readLoop }
                    if c.parser.bufferedByteCount > limits.maxHeaderBytes + limits.maxBodyBytes { break readLoop }
                case .wantRead:
                    c.tlsWait = .none
                    break readLoop
                case .wantWrite:
                    c.tlsWait = .write
                    break readLoop
                case .closed:
                    c.peerClosed = true
                    break readLoop
                case .failed:
                    closeConnection(c)
                    return
                }
            }
        } else {
            let n = recv(c.fd, base, Self.readBufferSize, 0)
            if n > 0 {
                c.parser.append(UnsafeRawBufferPointer(start: base, count: n))
                c.timer.bytesReceived(at: now)
            } else if n == 0 {
                c.peerClosed = true
            } else if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                return
            } else {
                closeConnection(c)
                return
            }
        }
        processInput(c)
        if c.peerClosed {
            // A client that has gone while a deferred answer waits (a long poll) will not read it:
            // close now and let the holder drop it, rather than hold the poll until it times out.
            if c.slots.isEmpty && c.output.isEmpty || c.awaitsDeferred {
                closeConnection(c)
                return
            }
            c.closing = true
        }
        flush(c)
    }

    /// After our final response: read and drop whatever the client still sends, until its FIN.
    /// Bounded per call, so a client sending at line rate cannot hold the loop thread; the level-
    /// triggered loop calls again, and the linger deadline still closes the connection.
    private func discardInput(_ c: Connection, until deadline: UInt64) {
        for _ in 0..<16 {
            let n = recv(c.fd, readBuffer.baseAddress!, Self.readBufferSize, 0)
            if n > 0 { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && now < deadline { return }
            if n < 0 && errno == EINTR { continue }
            closeConnection(c)
            return
        }
        if now >= deadline { closeConnection(c) }
    }

    private func wantsRead(_ c: Connection) -> Bool {
        !c.closing && !c.peerClosed && c.slots.count < limits.maxPipelinedRequests && c.unsentBytes <= limits.maxUnsentBytes
    }

    private func updateInterest(_ c: Connection) {
        var want: UInt32 = 0
        if c.lingerUntil != nil || wantsRead(c) || c.tlsWait == .read { want |= UInt32(RCRP_EPOLLIN) }
        if !c.output.isEmpty || c.tlsWait == .write { want |= UInt32(RCRP_EPOLLOUT) }
        if let tls = c.tls, !tls.handshakeDone {
            want = c.tlsWait == .write ? UInt32(RCRP_EPOLLOUT) : UInt32(RCRP_EPOLLIN)
        }
        if want != c.interest {
            _ = rcrp_epoll_ctl(epfd, Int32(RCRP_EPOLL_CTL_MOD), c.fd, want, ConnectionTable.token(fd: c.fd, id: c.id))
            c.interest = want
        }
    }

    // MARK: - Requests

    /// Parses what has arrived and dispatches complete requests, up to the pipelining bound.
    private func processInput(_ c: Connection) {
        while !c.closing && c.slots.count < limits.maxPipelinedRequests && c.unsentBytes <= limits.maxUnsentBytes {
            switch c.parser.next() {
            case .needMoreData:
                sendContinueIfDue(c)
                c.releaseParseBuffersIfParked()
                return
            case .head(let h):
                c.pendingHead = h
                c.continueDue = h.expectsContinue
                c.timer.headParsed(at: now, bodyFollows: h.framing != .none)
            case .end(let body):
                guard let head = c.pendingHead else { return }
                c.pendingHead = nil
                c.continueDue = false
                c.timer.requestParsed(at: now)
                dispatch(c, head, body)
            case .failure(let error):
                respondAndClose(c, status: error.status, detail: error.detail)
                return
            }
        }
    }

    /// `Expect: 100-continue`: the client waits for 100 before it sends the body. Sent once every
    /// earlier response is queued (responses go strictly in order), so it is checked both when
    /// the head is parsed and whenever the earlier responses finish.
    @inline(__always)
    private func sendContinueIfDue(_ c: Connection) {
        guard c.continueDue, c.slots.isEmpty, !c.closing else { return }
        c.continueDue = false
        c.enqueue(ResponseEncoder.continueBytes)
    }

    /// A framing error or timeout: answer, and close once it is written.
    private func respondAndClose(_ c: Connection, status: Int, detail: String) {
        let id = requestIDs.next()
        let ctx = ResponseContext(isHead: false, keepAlive: false, minorVersion: 1, requestID: id, acceptsGzip: false)
        let seq = c.reserveSlot(closeAfter: true, answer: .init(context: ctx, method: nil, route: nil, started: now))
        c.closing = true
        finish(c, seq, .serverProblem(status, detail: detail, requestID: id))
    }

    private func dispatch(_ c: Connection, _ head: RequestHead, _ body: [UInt8]) {
        let headers = head.headers
        let requestID = headers["X-Request-ID"].flatMap { RequestID.isSane($0) ? $0 : nil } ?? requestIDs.next()
        let keepAlive = head.keepAlive && !draining
        if !keepAlive { c.closing = true }
        let ctx = ResponseContext(isHead: head.method == .HEAD, keepAlive: keepAlive, minorVersion: head.minorVersion,
                                  requestID: requestID, acceptsGzip: AcceptEncoding.allowsGzip(headers["Accept-Encoding"]))
        let started = now
        func reserve(route: String?) -> UInt64 {
            c.reserveSlot(closeAfter: !keepAlive, answer: .init(context: ctx, method: head.method, route: route, started: started))
        }
        let target = head.target
        guard let parts = RequestTarget(target), let path = PercentDecoding.decode(parts.rawPath),
              let query = PercentDecoding.queryItems(parts.rawQuery) else {
            return finish(c, reserve(route: nil), .serverProblem(400, detail: "The request target holds an invalid percent-encoding.", requestID: requestID))
        }
        var request = HTTPRequest(method: head.method, target: target, path: path, queryItems: query, headers: headers,
                                  body: body, requestID: requestID, remoteAddress: c.remoteAddress, isSecure: c.isSecure)
        let handler: Router.Handler
        switch core.router.route(&request, rawPath: parts.rawPath) {
        case .answer(let response): return finish(c, reserve(route: nil), response)
        case .handler(let h): handler = h
        }
        let seq = reserve(route: request.route)
        let inflateLimit = limits.maxDecompressedBodyBytes
        switch handler {
        case .sync(let h):
            if let problem = ContentCoding.decode(&request, limit: inflateLimit) { return finish(c, seq, problem) }
            finish(c, seq, Router.run(h, request))
        case .deferred(let h):
            if let problem = ContentCoding.decode(&request, limit: inflateLimit) { return finish(c, seq, problem) }
            let responder = Responder(loop: self, position: Position(connectionID: c.id, sequence: seq, fd: c.fd), requestID: requestID)
            if let now = Router.run(h, request, responder) {
                // Answered at once (unless the handler also answered through the responder: first wins).
                if responder.take() { finish(c, seq, now) }
            } else if responder.isPending {
                c.attach(responder, to: seq)
            }
        case .async(let h):
            let position = Position(connectionID: c.id, sequence: seq, fd: c.fd)
            Task { [self, request] in
                var request = request
                let response = if let problem = ContentCoding.decode(&request, limit: inflateLimit) {
                    problem
                } else {
                    await Router.run(h, request)
                }
                post(Completion(position: position, response: response))
            }
        }
    }

    private func deliverCompletions() {
        let batch = inbox.withLock { box -> [Completion] in
            hasMail.store(false, ordering: .relaxed)
            let b = box.completions
            box.completions = []
            return b
        }
        for done in batch {
            guard let c = connections.connection(fd: done.position.fd, id: done.position.connectionID) else { continue }
            finish(c, done.position.sequence, done.response)
            processInput(c)
            flush(c)
            guard connections.contains(c) else { continue }
            if let tls = c.tls, tls.hasBufferedInput, wantsRead(c) {
                // Plaintext OpenSSL already decrypted will not make the socket readable again.
                readable(c)
                guard connections.contains(c) else { continue }
            }
            updateInterest(c)
        }
    }

    /// Encodes request `seq`'s response into its slot and queues whatever is now in order.
    private func finish(_ c: Connection, _ seq: UInt64, _ response: HTTPResponse) {
        guard let i = c.slotIndex(seq) else { return }
        var ctx = c.slots[i].answer.context
        let started = c.slots[i].answer.started
        let observer = core.observer
        var method: HTTPMethod?, route: String?
        if observer != nil {
            method = c.slots[i].answer.method
            route = c.slots[i].answer.route
        }
        if draining && ctx.keepAlive {
            // Shutting down: this is the connection's last response.
            ctx.keepAlive = false
            c.slots[i].closeAfter = true
        }
        let (head, body) = ResponseEncoder.encode(response, ctx, date: date.current(), serverName: core.serverName)
        c.fill(i, head: head, body: body)
        c.drainSlots()
        if c.slots.isEmpty {
            c.timer.responsesCompleted(at: now, parser: c.parserProgress)
            sendContinueIfDue(c)
        }
        if let observer, let method {
            observer.requestFinished(method: method, route: route, status: response.status,
                                     seconds: Double(Self.monotonicNow() &- started) / 1e9)
        }
    }

    // MARK: - Writing

    private func flush(_ c: Connection) {
        while true {
            if !c.output.isEmpty {
                let before = c.unsentBytes
                if let tls = c.tls { writeTLS(c, tls) } else { writePlain(c) }
                if !connections.contains(c) { return }
                if c.unsentBytes != before || c.output.isEmpty {
                    c.timer.outputProgressed(at: now, drained: c.output.isEmpty)
                }
                if !c.output.isEmpty { c.timer.outputPending(at: now) }
            }
            // Back-pressure released with requests already buffered: no new bytes will arrive to
            // wake us for them, so parse them now and write again.
            guard wantsRead(c), c.parser.bufferedByteCount > 0 else { break }
            let sequence = c.nextSequence
            processInput(c)
            if c.nextSequence == sequence { break }
        }
        if c.output.isEmpty && c.closing && c.slots.isEmpty && c.lingerUntil == nil {
            // TLS: close_notify first; what the client still sends is then drained undecrypted
            // (and nothing of OpenSSL's may ask for EPOLLOUT any more).
            c.tls?.shutdown()
            c.tlsWait = .none
            if c.peerClosed {
                closeConnection(c)
                return
            }
            // Half-close and drain what the client still sends, so it is not reset before reading our answer.
            shutdown(c.fd, Int32(SHUT_WR))
            c.lingerUntil = now &+ Self.lingerTime
            discardInput(c, until: c.lingerUntil!)
            if !connections.contains(c) { return }
        }
        updateInterest(c)
    }

    private func writePlain(_ c: Connection) {
        let iov = iovecs
        while !c.output.isEmpty {
            let count = min(c.output.count, Self.maxIOVecs)
            let written: Int = withExtendedLifetime(c.output) {
                for i in 0..<count {
                    c.output[i].withUnsafeBytes { p in
                        let skip = i == 0 ? c.outputOffset : 0
                        iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: p.baseAddress! + skip), iov_len: p.count - skip)
                    }
                }
                return writev(c.fd, iov, Int32(count))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                closeConnection(c)
                return
            }
            c.consume(written)
        }
    }

    private func writeTLS(_ c: Connection, _ tls: TLSSession) {
        c.tlsWait = .none
        while let first = c.output.first {
            let outcome = first.withUnsafeBytes { p in
                tls.write(p.baseAddress! + c.outputOffset, count: p.count - c.outputOffset)
            }
            switch outcome {
            case .done(let n): c.consume(n)
            case .wantWrite:
                c.tlsWait = .write
                return
            case .wantRead:
                c.tlsWait = .read
                return
            case .closed, .failed:
                closeConnection(c)
                return
            }
        }
    }

    // MARK: - Timeouts and shutdown

    /// Checks every connection's deadline; runs every `sweepInterval` (a coarse timer wheel of one slot:
    /// a few microseconds for ten thousand connections, and no timer syscalls on the request path).
    private func sweep() {
        lastSweep = now
        if listenerPaused && !draining {
            register(listenFD, events: UInt32(RCRP_EPOLLIN))
            listenerPaused = false
        }
        if draining && now >= drainDeadline {
            for case let c? in connections.byDescriptor { closeConnection(c) }
            return
        }
        for case let c? in connections.byDescriptor {
            if let linger = c.lingerUntil {
                if now >= linger { closeConnection(c) }
                continue
            }
            if draining && c.isIdle {
                closeConnection(c)
                continue
            }
            switch c.timer.expiry(at: now) {
            case nil:
                break
            case .close?:
                closeConnection(c)
            case .requestTimeout?:
                c.pendingHead = nil
                respondAndClose(c, status: 408, detail: "The request was not received in time.")
                flush(c)
            }
        }
    }

    private func beginDrain() {
        draining = true
        drainDeadline = stopDeadline.load(ordering: .acquiring)
        if listenFD >= 0 {
            _ = rcrp_epoll_ctl(epfd, Int32(RCRP_EPOLL_CTL_DEL), listenFD, 0, 0)
            close(listenFD)
            listenFD = -1
        }
        for case let c? in connections.byDescriptor where c.isIdle && c.lingerUntil == nil { closeConnection(c) }
    }

    private func closeConnection(_ c: Connection) {
        guard connections.remove(c) else { return }
        c.cancelDeferred()
        close(c.fd)
        let open = core.openConnections.wrappingSubtract(1, ordering: .relaxed).newValue
        core.observer?.connectionsChanged(open: open)
    }
}
