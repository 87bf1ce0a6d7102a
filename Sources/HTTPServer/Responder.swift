import Synchronization

/// The right to answer one request later, from any thread: what a deferred route keeps instead of
/// a suspended Task, so a request that waits (a long poll) costs a small object, not a task stack.
/// The first `respond` wins; later ones, and any after the connection closed, do nothing.
public final class Responder: Sendable {
    private enum Phase { case pending, answered, cancelled }

    /// (The phase after the closure: 17 bytes rather than 24. A thousand waiting polls hold a
    /// thousand responders: packed, with `EventLoop.Position`'s fd last, one takes 89 bytes, a
    /// 96-byte allocation rather than 112.)
    private struct State {
        var onCancel: (@Sendable () -> Void)?
        var phase = Phase.pending
    }

    private enum Target {
        /// The event loop that owns the connection, and where the answer goes in its pipeline
        /// (the rest of what the answer needs waits in the connection's slot, not here).
        case loop(EventLoop, EventLoop.Position)
        /// Routing without sockets (`Router.handle`).
        case direct(@Sendable (HTTPResponse) -> Void)
    }

    private let target: Target
    /// The request id the answer will carry (for problem bodies).
    public let requestID: String
    private let state = Mutex(State())

    init(loop: EventLoop, position: EventLoop.Position, requestID: String) {
        target = .loop(loop, position)
        self.requestID = requestID
    }

    init(direct: @escaping @Sendable (HTTPResponse) -> Void) {
        target = .direct(direct)
        requestID = "local"
    }

    /// Dropped without an answer (a handler bug): answer 500 rather than leave the request, and
    /// every pipelined one behind it, waiting until the client gives up.
    deinit {
        guard take() else { return }
        let problem = HTTPResponse.serverProblem(500, detail: "The request was dropped without an answer.", requestID: requestID)
        deliver(problem)
    }

    private func deliver(_ response: HTTPResponse) {
        switch target {
        case .loop(let loop, let position): loop.post(EventLoop.Completion(position: position, response: response))
        case .direct(let deliver): deliver(response)
        }
    }

    /// False once answered or cancelled.
    public var isPending: Bool { state.withLock { $0.phase == .pending } }

    /// Sends the answer through the connection's loop, in pipelining order. Returns false (and
    /// does nothing) when the request was already answered or its connection has closed.
    @discardableResult
    public func respond(_ response: HTTPResponse) -> Bool {
        guard take() else { return false }
        deliver(response)
        return true
    }

    /// Called once if the connection closes before an answer, so the holder can drop the
    /// responder; called at once if that has already happened, never after an answer.
    public func onCancel(_ action: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state -> Bool in
            if state.phase == .pending { state.onCancel = action }
            return state.phase == .cancelled
        }
        if cancelled { action() }
    }

    /// Marks the request answered; false when it already was (or was cancelled).
    func take() -> Bool {
        state.withLock { state -> Bool in
            guard state.phase == .pending else { return false }
            state.phase = .answered
            state.onCancel = nil
            return true
        }
    }

    /// The connection closed first: nothing will be sent; tell the holder.
    func cancel() {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.phase == .pending else { return nil }
            state.phase = .cancelled
            defer { state.onCancel = nil }
            return state.onCancel
        }
        action?()
    }
}
