import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger

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
        guard state.read({ $0.agencies[agencyID] != nil }) else { throw APIError.notFound("No agency \(agencyID).") }
        let status = try Query.oneOf(request, "status", HandoffStatus.allCases.map(\.rawValue)).flatMap(HandoffStatus.init(rawValue:))
        let after = try Query.cursor(request, "after")
        let wait = try Query.int(request, "wait", default: 0, range: 0...configuration.longPoll.maxWaitSeconds)
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        let feed: @Sendable (ServiceState) -> [(seq: UInt64, id: String)] = { state in
            state.agencyFeeds[agencyID]?.changes(after: after, limit: limit) { id in
                status == nil || state.handoffs[id]?.status == status
            } ?? []
        }
        let poll = LongPoll(request: request, principal: principal, topic: "agency:\(agencyID)", after: after, limit: limit,
                            listName: "handoffs", feed: feed, head: { $0.agencyFeeds[agencyID]?.lastSeq ?? 0 })
        try longPoll(poll, wait: wait, responder)
        return nil
    }

    // MARK: GET /v1/escalations — declined, escalated and unroutable handoffs, long-polled

    func pollEscalations(_ request: HTTPRequest, _ responder: Responder) throws -> HTTPResponse? {
        let principal = try authorize(request, [.controlRoom, .supervisor])
        try requireReady(request)
        let after = try Query.cursor(request, "after")
        let wait = try Query.int(request, "wait", default: 0, range: 0...configuration.longPoll.maxWaitSeconds)
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        let feed: @Sendable (ServiceState) -> [(seq: UInt64, id: String)] = { state in
            state.escalations.changes(after: after, limit: limit)
        }
        let poll = LongPoll(request: request, principal: principal, topic: "escalations", after: after, limit: limit,
                            listName: "escalations", feed: feed, head: { $0.escalations.lastSeq })
        try longPoll(poll, wait: wait, responder)
        return nil
    }

    /// One long poll's question, kept while it waits: only what the answer needs (not the
    /// request's headers), so that a waiting poll stays small.
    struct LongPoll: Sendable {
        var method: HTTPMethod
        var path: String
        var route: String?
        var requestID: String
        var principal: Principal
        var topic: String
        var after: UInt64
        var limit: Int
        var listName: String
        var feed: @Sendable (ServiceState) -> [(seq: UInt64, id: String)]
        var head: @Sendable (ServiceState) -> UInt64

        init(request: HTTPRequest, principal: Principal, topic: String, after: UInt64, limit: Int, listName: String,
             feed: @escaping @Sendable (ServiceState) -> [(seq: UInt64, id: String)],
             head: @escaping @Sendable (ServiceState) -> UInt64) {
            method = request.method
            path = request.path
            route = request.route
            requestID = request.requestID
            self.principal = principal
            self.topic = topic
            self.after = after
            self.limit = limit
            self.listName = listName
            self.feed = feed
            self.head = head
        }

        /// The request as `disclose` needs it (method, path, route, id).
        var request: HTTPRequest {
            var request = HTTPRequest(method: method, target: path, requestID: requestID)
            request.path = path
            request.route = route
            return request
        }
    }

    /// Answers at once when the feed has changes after the cursor (or `wait` is 0), else leaves
    /// the responder in the poll hub until the topic changes or `wait` seconds pass: a waiting
    /// poll holds no thread and no task. Items returned are logged as data reads before they are
    /// sent. A wake-up that brings nothing for this poll (another status) waits again.
    private func longPoll(_ poll: LongPoll, wait: Int, _ responder: Responder) throws(APIError) {
        let deadline = ContinuousClock.now + .seconds(wait)
        guard wait > 0, state.read({ poll.feed($0).isEmpty }) else { return answer(poll, responder) }
        let id = polls.makeID()
        let admitted = park(poll, id: id, deadline: deadline, admitted: false, responder)
        if !admitted {
            throw APIError(429, "Too Many Requests", detail: "Too many long polls are waiting; retry shortly.",
                           headers: ["Retry-After": "1"])
        }
        let topic = poll.topic
        responder.onCancel { [polls] in polls.cancel(topic: topic, id: id) }
    }

    /// Registers the poll in the hub; its wake-up answers it, or parks it again when its feed is
    /// still empty, time remains and the service is not stopping.
    private func park(_ poll: LongPoll, id: UInt64, deadline: ContinuousClock.Instant, admitted: Bool,
                      _ responder: Responder) -> Bool {
        polls.wait(topic: poll.topic, id: id, deadline: deadline, admitted: admitted,
                   isReady: { !state.read { poll.feed($0).isEmpty } }) { [self] in
            guard responder.isPending else { return }
            if ContinuousClock.now < deadline, !polls.isClosed, state.read({ poll.feed($0).isEmpty }) {
                _ = park(poll, id: id, deadline: deadline, admitted: true, responder)
                return
            }
            answer(poll, responder)
        }
    }

    /// Builds the answer from the durable state, with its `data.read` record when it discloses
    /// anything (a task only for this: the record must be durable before the answer is sent).
    /// When the answer holds every match (fewer than `limit`), the cursor moves past the feed's
    /// head too, so that changes a `status` filter skipped are not scanned again.
    private func answer(_ poll: LongPoll, _ responder: Responder) {
        Task {
            guard responder.isPending else { return }
            let response = await disclose(poll.request, poll.principal) { state, _ in
                let changes = poll.feed(state)
                var items: [JSONValue] = []
                var callIDs: [String] = []
                for change in changes {
                    guard let handoff = state.handoffs[change.id] else { continue }
                    items.append(RCRPService.handoffJSON(handoff, call: state.calls[handoff.callID]))
                    callIDs.append(handoff.callID)
                }
                var next = max(poll.after, changes.last?.seq ?? 0)
                if changes.count < poll.limit { next = max(next, poll.head(state)) }
                return Disclosure(answer: [poll.listName: .array(items), "next_cursor": .string(String(next))],
                                  callIDs: callIDs.uniqued(), handoffIDs: changes.map(\.id))
            }
            responder.respond(response)
        }
    }

    // MARK: GET /v1/handoffs/{handoff_id}

    func getHandoff(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.agency, .controlRoom, .supervisor, .auditor])
        let id = request.parameters["handoff_id"] ?? ""
        return await disclose(request, principal) { state, _ throws(APIError) in
            let handoff = try RCRPService.handoff(id, for: principal, in: state)
            return Disclosure(answer: RCRPService.handoffJSON(handoff, call: state.calls[handoff.callID]),
                              callIDs: [handoff.callID], handoffIDs: [id])
        }
    }

    /// The handoff if it exists (404) and this key may see it (403 for another agency's).
    static func handoff(_ id: String, for principal: Principal, in state: ServiceState) throws(APIError) -> Handoff {
        guard let handoff = state.handoffs[id] else { throw APIError.notFound("No handoff \(id).") }
        if principal.role == .agency && principal.agencyID != handoff.agencyID {
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
        return try await write(request, principal, conflictKeys: ["handoff:\(id)"]) { state, _ throws(APIError) in
            let handoff = try RCRPService.handoff(id, for: principal, in: state)
            let changes: Bool
            do throws(HandoffConflict) {
                changes = try handoff.check(move)
            } catch {
                throw APIError.conflict(error.description)
            }
            let call = state.calls[handoff.callID]
            guard changes else { return .unchanged(status: 200, answer: RCRPService.handoffJSON(handoff, call: call)) }
            var body: JSONObject = ["handoff_id": .string(id), "by": .string(by)]
            if let note { body["note"] = .string(note) }
            if let declineReason { body["reason"] = .string(declineReason.rawValue) }
            // The answer shows the handoff as it will be once the record is applied.
            var answer = RCRPService.handoffJSON(handoff, call: call).objectValue ?? [:]
            answer["status"] = .string(move.target.rawValue)
            return .write(type: "handoff.\(move.name)", body: body, status: 200, answer: .object(answer))
        }
    }

    // MARK: - JSON

    /// The whole handoff as partners and the control room see it: its state, deadlines and
    /// history, and (when the call is given) the call facts and the decision that created it.
    static func handoffJSON(_ handoff: Handoff, call: CallEntry?) -> JSONValue {
        var object: JSONObject = [
            "handoff_id": .string(handoff.id), "call_id": .string(handoff.callID), "decision_id": .string(handoff.decisionID),
            "agency_id": .optional(handoff.agencyID), "agency_kind": .string(handoff.agencyKind.rawValue),
            "status": .string(handoff.status.rawValue), "created_at": .string(RFC3339.format(handoff.createdAt)),
            "updated_at": .string(RFC3339.format(handoff.history.last?.at ?? handoff.createdAt)),
            "acknowledge_by": .optional(handoff.acknowledgeBy.map(RFC3339.format)),
            "accept_by": .optional(handoff.acceptBy.map(RFC3339.format)),
            "acknowledged_at": .optional(handoff.acknowledgedAt.map(RFC3339.format)),
            "accepted_at": .optional(handoff.acceptedAt.map(RFC3339.format)),
            "decline_reason": .optional(handoff.declineReason?.rawValue),
            "escalation_cause": .optional(handoff.escalationCause?.rawValue),
            "history": .array(handoff.history.map { step in
                var item: JSONObject = ["status": .string(step.status.rawValue), "at": .string(RFC3339.format(step.at))]
                if let by = step.by { item["by"] = .string(by) }
                if let reason = step.reason { item["reason"] = .string(reason) }
                if let note = step.note { item["note"] = .string(note) }
                return .object(item)
            }),
            "cursor": .string(String(handoff.changedSeq)),
        ]
        if let call {
            object["incident_ref"] = .string(call.incidentRef)
            object["call"] = call.call
            if let decision = call.decisions.last(where: { $0["decision_id"]?.stringValue == handoff.decisionID }) {
                object["decision"] = [
                    "decision_id": decision["decision_id"] ?? .null, "outcome": decision["outcome"] ?? .null,
                    "police_attend": decision["police_attend"] ?? .null, "rule": decision["rule"] ?? .null,
                    "caller_advice": decision["caller_advice"] ?? .null, "flags": decision["flags"] ?? [],
                    "review_required": decision["review_required"] ?? false,
                ]
            }
        }
        return .object(object)
    }
}
