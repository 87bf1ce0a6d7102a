/// Which wait a connection is in and when it runs out: a pure state machine driven by events and
/// an injected clock (nanoseconds), so every timeout rule is tested without sockets or sleeping.
struct ConnectionTimer: Sendable {
    enum Phase: Equatable, Sendable {
        case handshaking
        /// Waiting for a request to start: the first one (header-read timeout from accept) or a later one (idle).
        case awaitingRequest(first: Bool)
        case readingHead
        case readingBody
        /// A handler holds the request: nothing is asked of the client.
        case handling
    }

    /// What the parser holds when the last outstanding response is done.
    enum ParserProgress: Sendable { case idle, head, body }

    enum Expiry: Equatable, Sendable {
        /// Close without a response (nothing was asked, or the client stopped reading).
        case close
        /// A request was under way: answer 408 and close.
        case requestTimeout
    }

    let headerRead: UInt64, bodyRead: UInt64, idle: UInt64, write: UInt64, handshake: UInt64
    private(set) var phase: Phase
    private(set) var phaseSince: UInt64
    /// When response bytes started waiting on a client that does not read (reset on progress).
    private(set) var writeWaitingSince: UInt64?

    init(timeouts: HTTPTimeouts, acceptedAt now: UInt64, tls: Bool) {
        headerRead = timeouts.headerRead.nanoseconds
        bodyRead = timeouts.bodyRead.nanoseconds
        idle = timeouts.idle.nanoseconds
        write = timeouts.write.nanoseconds
        handshake = timeouts.tlsHandshake.nanoseconds
        phase = tls ? .handshaking : .awaitingRequest(first: true)
        phaseSince = now
    }

    mutating func handshakeCompleted(at now: UInt64) {
        enter(.awaitingRequest(first: true), now)
    }

    mutating func bytesReceived(at now: UInt64) {
        switch phase {
        case .awaitingRequest: enter(.readingHead, now)
        case .readingBody: phaseSince = now // body timeout runs between reads
        case .handshaking, .readingHead, .handling: break // header timeout is total, from the first byte
        }
    }

    mutating func headParsed(at now: UInt64, bodyFollows: Bool) {
        guard phase != .handling else { return }
        enter(bodyFollows ? .readingBody : .handling, now)
    }

    mutating func requestParsed(at now: UInt64) {
        enter(.handling, now)
    }

    /// Every response outstanding is written or queued; the next wait depends on what the parser holds.
    mutating func responsesCompleted(at now: UInt64, parser: ParserProgress) {
        switch parser {
        case .idle: enter(.awaitingRequest(first: false), now)
        case .head: enter(.readingHead, now)
        case .body: enter(.readingBody, now)
        }
    }

    mutating func outputPending(at now: UInt64) {
        if writeWaitingSince == nil { writeWaitingSince = now }
    }

    mutating func outputProgressed(at now: UInt64, drained: Bool) {
        writeWaitingSince = drained ? nil : now
    }

    private mutating func enter(_ p: Phase, _ now: UInt64) {
        phase = p
        phaseSince = now
    }

    /// The earliest time something can expire, for the loop's sleep.
    var deadline: UInt64? {
        let read: UInt64?
        switch phase {
        case .handshaking: read = phaseSince &+ handshake
        case .awaitingRequest(let first): read = phaseSince &+ (first ? headerRead : idle)
        case .readingHead: read = phaseSince &+ headerRead
        case .readingBody: read = phaseSince &+ bodyRead
        case .handling: read = nil
        }
        let w = writeWaitingSince.map { $0 &+ write }
        switch (read, w) {
        case let (r?, w?): return min(r, w)
        case let (r?, nil): return r
        case let (nil, w?): return w
        default: return nil
        }
    }

    func expiry(at now: UInt64) -> Expiry? {
        if let w = writeWaitingSince, now >= w &+ write { return .close }
        switch phase {
        case .handshaking: return now >= phaseSince &+ handshake ? .close : nil
        case .awaitingRequest(let first): return now >= phaseSince &+ (first ? headerRead : idle) ? .close : nil
        case .readingHead: return now >= phaseSince &+ headerRead ? .requestTimeout : nil
        case .readingBody: return now >= phaseSince &+ bodyRead ? .requestTimeout : nil
        case .handling: return nil
        }
    }
}
