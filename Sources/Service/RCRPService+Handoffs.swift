import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Synchronization

extension RCRPService {
    /// The partner moves of API.md, by path.
    enum PartnerMove: String, Sendable {
        case acknowledge, accept, decline, complete
    }

    // MARK: GET /v1/agencies/{id}/handoffs — the agency's change feed, long-polled

    /// Runs inline on the event loop (a deferred route): checks and parses, then answers through
    /// `responder` now or once the feed changes; a problem is returned at once.
    func pollAgencyHandoffs(_ request: HTTPRequest, _ responder: Responder) throws -> HTTPResponse? {
        let principal = try authorize(request, [.agency, .supervisor])
        let agencyID = request.parameters["id"] ?? ""
        if principal.role == .agency && principal.agencyID != agencyID {
            throw APIError.forbidden("This key belongs to agency \(principal.agencyID ?? "?"); it may read only that agency's handoffs.")
        }
        try requireReady(request)
        // The poll keeps the registered agency's id string (shared storage), not the path's copy.
        guard let agencyID = state.read({ $0.agencies[agencyID]?.id }) else { throw APIError.notFound("No agency \(agencyID).") }
        let status = try Query.oneOf(request, "status", HandoffStatus.allCases.map(\.rawValue)).flatMap(HandoffStatus.init(rawValue:))
        let after = try Query.cursor(request, "after")
        let wait = try Query.int(request, "wait", default: 0, range: 0...configuration.longPoll.maxWaitSeconds)
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        try longPoll(WaitingPoll(service: self, responder: responder, actor: principal.keyID, method: request.method,
                                 feed: .agency(agencyID, status: status), after: after, limit: limit,
                                 deadline: ContinuousClock.now + .seconds(wait)), wait: wait)
        return nil
    }

    // MARK: GET /v1/escalations — declined, escalated and unroutable handoffs, long-polled

    func pollEscalations(_ request: HTTPRequest, _ responder: Responder) throws -> HTTPResponse? {
        let principal = try authorize(request, [.controlRoom, .supervisor])
        try requireReady(request)
        let after = try Query.cursor(request, "after")
        let wait = try Query.int(request, "wait", default: 0, range: 0...configuration.longPoll.maxWaitSeconds)
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        try longPoll(WaitingPoll(service: self, responder: responder, actor: principal.keyID, method: request.method,
                                 feed: .escalations, after: after, limit: limit,
                                 deadline: ContinuousClock.now + .seconds(wait)), wait: wait)
        return nil
    }

    /// Answers at once when the feed has changes after the cursor (or `wait` is 0), else leaves
    /// the poll in the hub until its topic changes or `wait` seconds pass.
    private func longPoll(_ poll: WaitingPoll, wait: Int) throws(APIError) {
        guard wait > 0, poll.isEmpty else { return poll.answer() }
        guard polls.wait(poll, admitted: false, isReady: { !poll.isEmpty }) else {
            throw APIError(429, "Too Many Requests", detail: "Too many long polls are waiting; retry shortly.",
                           headers: ["Retry-After": "1"])
        }
        poll.responder.onCancel { poll.service.polls.cancel(poll) }
    }

    /// One long poll while it waits: the question and the responder, and nothing else (no task,
    /// no continuation, not the request's headers), so that a thousand waiting polls cost less
    /// than a thousand idle connections (api.sh checks it).
    ///
    /// Its fields are packed into 92 bytes (allocated as 96): the reading key's id rather than
    /// the whole `Principal`, GET or HEAD as a flag, the limit (at most 500) in 16 bits, in an
    /// order that leaves no padding between them. Stored as a `Principal`, an `HTTPMethod` and an
    /// `Int`, it took 144.
    final class WaitingPoll: PollWaiter {
        enum Feed: Sendable {
            case agency(String, status: HandoffStatus?)
            case escalations
        }

        let service: RCRPService
        let responder: Responder
        /// The key id that the `data.read` record names.
        let actor: String
        let after: UInt64
        let deadline: ContinuousClock.Instant
        let feed: Feed
        private let isHead: Bool
        private let storedLimit: UInt16

        var method: HTTPMethod { isHead ? .HEAD : .GET }
        var limit: Int { Int(storedLimit) }

        /// `method` is GET or HEAD (the routes of both feeds); `limit` is 1–500.
        init(service: RCRPService, responder: Responder, actor: String, method: HTTPMethod, feed: Feed,
             after: UInt64, limit: Int, deadline: ContinuousClock.Instant) {
            self.service = service
            self.responder = responder
            self.actor = actor
            self.after = after
            self.deadline = deadline
            self.feed = feed
            self.isHead = method == .HEAD
            self.storedLimit = UInt16(clamping: limit)
        }

        var topic: PollTopic {
            switch feed {
            case .agency(let id, _): .agency(id)
            case .escalations: .escalations
            }
        }

        /// The changes after the cursor that this poll answers with.
        func changes(_ state: ServiceState) -> [(seq: UInt64, id: String)] {
            switch feed {
            case .agency(let agencyID, let status):
                state.agencyChanges(agencyID, after: after, limit: limit) { id in
                    status == nil || state.handoffs[id]?.status == status
                }
            case .escalations:
                state.escalations.changes(after: after, limit: limit)
            }
        }

        var isEmpty: Bool { service.state.read { changes($0).isEmpty } }

        /// The change hub woke it (its topic changed, its wait ran out, or shutdown): answer, or
        /// wait again when the change was not for this poll (another status) and time remains.
        func wake() {
            guard responder.isPending else { return }
            if ContinuousClock.now < deadline, !service.polls.isClosed, isEmpty {
                _ = service.polls.wait(self, admitted: true, isReady: { !isEmpty })
                return
            }
            answer()
        }

        /// Builds the answer from the durable state, with its `data.read` record when it discloses
        /// anything (a task only for this: the record must be durable before the answer is sent).
        /// When the answer holds every match (fewer than `limit`), the cursor moves past the feed's
        /// head too, so that changes a `status` filter skipped are not scanned again.
        func answer() {
            Task { [self] in
                guard responder.isPending else { return }
                var request: HTTPRequest
                let listName: String
                switch feed {
                case .agency(let agencyID, _):
                    request = HTTPRequest(method: method, target: "", requestID: responder.requestID)
                    request.path = "/v1/agencies/\(agencyID)/handoffs"
                    request.route = "/v1/agencies/{id}/handoffs"
                    listName = "handoffs"
                case .escalations:
                    request = HTTPRequest(method: method, target: "/v1/escalations", requestID: responder.requestID)
                    request.route = "/v1/escalations"
                    listName = "escalations"
                }
                let response = await service.disclose(request, actor: actor) { [self] state, _ in
                    let changes = changes(state)
                    var items: [JSONValue] = []
                    var callIDs: [String] = []
                    for change in changes {
                        guard let handoff = state.handoffs[change.id] else { continue }
                        items.append(handoff.json(call: state.calls[handoff.callID]))
                        callIDs.append(handoff.callID)
                    }
                    var next = max(after, changes.last?.seq ?? 0)
                    if changes.count < limit { next = max(next, head(state)) }
                    return Disclosure(answer: [listName: .array(items), "next_cursor": .string(String(next))],
                                      callIDs: callIDs.uniqued(), handoffIDs: changes.map(\.id))
                }
                responder.respond(response)
            }
        }

        private func head(_ state: ServiceState) -> UInt64 {
            switch feed {
            case .agency(let agencyID, _): state.agencyFeeds[agencyID]?.lastSeq ?? 0
            case .escalations: state.escalations.lastSeq
            }
        }
    }

    // MARK: GET /v1/handoffs/{handoff_id}

    func getHandoff(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.agency, .controlRoom, .supervisor, .auditor])
        let id = request.parameters["handoff_id"] ?? ""
        return await disclose(request, actor: principal.keyID) { state, _ throws(APIError) in
            let handoff = try RCRPService.handoff(id, for: principal, in: state)
            return Disclosure(answer: handoff.json(call: state.calls[handoff.callID]),
                              callIDs: [handoff.callID], handoffIDs: [id])
        }
    }

    /// The handoff if it exists (404) and this key may see it (403 for another agency's).
    static func handoff(_ id: String, for principal: Principal, in state: ServiceState) throws(APIError) -> Handoff {
        guard let handoff = state.handoffs[id] else { throw APIError.notFound("No handoff \(id).") }
        if principal.role == .agency, principal.agencyID == nil || principal.agencyID != handoff.agencyID {
            throw APIError.forbidden("Handoff \(id) belongs to another agency.")
        }
        return handoff
    }

    // MARK: POST /v1/handoffs/{id}/acknowledge|accept|decline|complete

    func moveHandoff(_ request: HTTPRequest, _ kind: PartnerMove) async throws -> HTTPResponse {
        let principal = try authorize(request, [.agency, .supervisor])
        let id = request.parameters["handoff_id"] ?? ""
        let allowed: Set<String> = switch kind {
        case .acknowledge: ["by"]
        case .accept, .complete: ["by", "note"]
        case .decline: ["by", "reason", "note"]
        }
        let object = try RequestBody.object(request, allowed: allowed)
        var checks = FieldChecks()
        let by = checks.string(object, "by", required: true)
        let note = allowed.contains("note") ? checks.string(object, "note", max: 4000, required: false) : nil
        var reason: DeclineReason?
        if kind == .decline, let text = checks.string(object, "reason", max: 64, required: true) {
            reason = DeclineReason(rawValue: text)
            if reason == nil {
                checks.problems.append(BodyProblem(field: "reason", problem: "must be one of \(DeclineReason.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        try checks.finish()
        guard let by else { throw APIError.invalid(checks.problems) }
        let move: HandoffMove = switch kind {
        case .acknowledge: .acknowledge(by: by)
        case .accept: .accept(by: by, note: note)
        case .decline: .decline(by: by, reason: reason ?? .other, note: note)
        case .complete: .complete(by: by, note: note)
        }
        let declineReason = reason
        // A partner move must not share a batch with a retriage or override of the same call:
        // either may cancel this handoff, and the later record would then not apply.
        var keys = ["handoff:\(id)"]
        if let callID = state.read({ $0.handoffs[id]?.callID }) { keys.append("call:\(callID)") }
        let decided = DecidedMove()
        let response = try await write(request, principal, conflictKeys: keys) { state, now throws(APIError) in
            let handoff = try RCRPService.handoff(id, for: principal, in: state)
            let changes: Bool
            do throws(HandoffConflict) {
                changes = try handoff.check(move)
            } catch {
                throw APIError.conflict(error.description)
            }
            let call = state.calls[handoff.callID]
            guard changes else { return .unchanged(status: 200, answer: handoff.json(call: call)) }
            var body: JSONObject = ["handoff_id": .string(id), "by": .string(by)]
            if let note { body["note"] = .string(note) }
            if let declineReason { body["reason"] = .string(declineReason.rawValue) }
            decided.set(handoff)
            // Sent only if the handoff cannot be read back (see `durableAnswer`); the stored
            // idempotent answer is written by the fold, which knows the record's time and seq.
            let predicted = (try? handoff.applying(move, at: now, seq: handoff.changedSeq)).flatMap { result -> JSONValue? in
                if case .changed(let next) = result { return next.json(call: call) }
                return nil
            } ?? handoff.json(call: call)
            return .write(type: "handoff.\(move.name)", body: body, status: 200, answer: predicted, stored: .null)
        }
        guard response.status == 200, response.headers["Idempotent-Replayed"] == nil, let before = decided.handoff,
              let answer = durableAnswer(before: before, move: move, principal: principal,
                                         idempotencyKey: request.headers["Idempotency-Key"]) else { return response }
        var durable = response
        durable.body = answer.serialized()
        return durable
    }

    /// The handoff as the move's durable record left it (not as it is now, if later moves were
    /// already applied): the state the move was decided on, moved at the record's time and seq.
    /// With an `Idempotency-Key`, the answer the fold stored, so that a replay is byte-identical.
    private func durableAnswer(before: Handoff, move: HandoffMove, principal: Principal, idempotencyKey: String?) -> JSONValue? {
        state.read { state -> JSONValue? in
            if let idempotencyKey,
               let stored = state.idempotency[IdempotencyEntry.storageKey(actor: principal.keyID, key: idempotencyKey)]?.response,
               !stored.isNull {
                return stored
            }
            guard let durable = state.handoffs[before.id], durable.history.count > before.history.count else { return nil }
            let step = durable.history[before.history.count]
            guard step.status == move.target, case .changed(let after)? = try? before.applying(move, at: step.at, seq: step.seq) else {
                return nil
            }
            return after.json(call: state.calls[after.callID])
        }
    }

    /// The handoff a partner move was decided on, handed from the committer back to the request.
    private final class DecidedMove: Sendable {
        private let value = Mutex<Handoff?>(nil)

        func set(_ handoff: Handoff) { value.withLock { $0 = handoff } }
        var handoff: Handoff? { value.withLock { $0 } }
    }
}
