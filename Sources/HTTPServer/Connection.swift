/// One client connection's state; owned and touched only by its event loop's thread.
final class Connection {
    /// What finishing a request needs besides the handler's response: how to encode it, and what
    /// the observer is told. Kept in the request's slot, so that an answer coming back from
    /// another thread (an async handler, a responder) carries only its position and response.
    struct Answer {
        var context: ResponseContext
        var method: HTTPMethod?
        var route: String?
        var started: UInt64
    }

    /// A response position in pipelining order; filled when its handler finishes.
    struct Slot {
        var sequence: UInt64
        var head: [UInt8]?
        var body: [UInt8] = []
        var closeAfter: Bool
        /// A deferred handler holds the request (its responder may since have been dropped).
        var isDeferred = false
        var answer: Answer
        /// A deferred handler's pending answer: told if the connection closes first. Weak, so
        /// that a responder its handler dropped unanswered is freed and answers 500 itself.
        weak var responder: Responder?
    }

    enum TLSWait { case none, read, write }

    let fd: Int32
    let id: UInt64
    let remoteAddress: String
    var parser: RequestParser
    var timer: ConnectionTimer
    let tls: TLSSession?
    var tlsWait: TLSWait = .none

    /// Bytes to write, in order; `outputOffset` is how much of the first chunk is already sent.
    var output: [[UInt8]] = []
    var outputOffset = 0
    var unsentBytes = 0

    var slots: [Slot] = []
    var nextSequence: UInt64 = 0
    var pendingHead: RequestHead?
    /// The pending head asked for `100 Continue` and it has not been sent yet.
    var continueDue = false

    /// No further requests are read; close once the queued responses are written.
    var closing = false
    /// Our side is shut down; waiting briefly for the client's FIN so it reads the last response.
    var lingerUntil: UInt64?
    var peerClosed = false
    /// The epoll events registered for this fd.
    var interest: UInt32 = 0

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: HTTPLimits, timer: ConnectionTimer, tls: TLSSession?) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.parser = RequestParser(limits: limits)
        self.timer = timer
        self.tls = tls
    }

    var isSecure: Bool { tls != nil }

    /// Nothing in flight, nothing to write, no partial request: safe to close without losing anything.
    var isIdle: Bool { slots.isEmpty && output.isEmpty && !parser.isMidRequest && pendingHead == nil }

    func reserveSlot(closeAfter: Bool, answer: Answer) -> UInt64 {
        let s = nextSequence
        nextSequence &+= 1
        slots.append(Slot(sequence: s, head: nil, closeAfter: closeAfter, answer: answer))
        return s
    }

    /// The slot of a request still waiting for its response.
    func slotIndex(_ sequence: UInt64) -> Int? {
        // Usually the first: pipelined requests are few and answered in order. Fields are read
        // in place; a closure would copy each slot, weak reference and all.
        var i = 0
        while i < slots.count {
            if slots[i].sequence == sequence { return slots[i].head == nil ? i : nil }
            i += 1
        }
        return nil
    }

    func fill(_ index: Int, head: [UInt8], body: [UInt8]) {
        slots[index].head = head
        slots[index].body = body
        if slots[index].isDeferred {
            slots[index].isDeferred = false
            slots[index].responder = nil
            deferredCount -= 1
        }
    }

    /// Requests a deferred handler still holds.
    private(set) var deferredCount = 0

    func attach(_ responder: Responder, to sequence: UInt64) {
        guard let i = slotIndex(sequence) else { return }
        slots[i].responder = responder
        slots[i].isDeferred = true
        deferredCount += 1
    }

    /// Whether a deferred handler still holds one of this connection's requests.
    var awaitsDeferred: Bool { deferredCount > 0 }

    /// Waiting on a deferred answer with nothing else to do: a long poll may wait for minutes,
    /// so give back the parse buffers a keep-alive connection keeps for its next request.
    func releaseParseBuffersIfParked() {
        guard deferredCount > 0 && output.isEmpty && pendingHead == nil else { return }
        parser.releaseBuffers()
        output = []  // the capacity kept from earlier responses on this connection
    }

    /// The connection is closing with requests unanswered: their holders may let go.
    func cancelDeferred() {
        for slot in slots { slot.responder?.cancel() }
    }

    /// Moves finished responses at the front of the queue to the output, strictly in order.
    func drainSlots() {
        // Fields are read in place: copying a whole slot (it holds a weak reference) costs more
        // than the rest of this loop.
        while !slots.isEmpty, let head = slots[0].head {
            enqueue(head)
            if !slots[0].body.isEmpty { enqueue(slots[0].body) }
            if slots[0].closeAfter {
                closing = true
                for later in slots.dropFirst() { later.responder?.cancel() }
                slots.removeAll()
                deferredCount = 0
                return
            }
            slots.removeSubrange(0..<1)  // removeFirst would hand back a copy of the slot to destroy
        }
    }

    func enqueue(_ bytes: [UInt8]) {
        output.append(bytes)
        unsentBytes += bytes.count
    }

    /// Drops `n` written bytes from the front of the output.
    func consume(_ n: Int) {
        var left = n
        unsentBytes -= n
        while left > 0, let first = output.first {
            let rest = first.count - outputOffset
            if left >= rest {
                left -= rest
                output.removeFirst()
                outputOffset = 0
            } else {
                outputOffset += left
                left = 0
            }
        }
    }

    var parserProgress: ConnectionTimer.ParserProgress {
        if parser.isReadingBody || pendingHead != nil { return .body }
        return parser.isMidRequest ? .head : .idle
    }
}
