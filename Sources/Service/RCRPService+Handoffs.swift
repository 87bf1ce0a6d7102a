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
        try longPoll(WaitingPoll(service: self, responder: responder, principal: principal, method: request.method,
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
        try longPoll(WaitingPoll(service: self, responder: responder, principal: principal, method: request.method,
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
    /// no continuation, not the request's headers), so that a thousand waiting polls cost little
    /// more than their connections.
    final class WaitingPoll: PollWaiter {
        enum Feed: Sendable {
            case agency(String, status: HandoffStatus?)
            case escalations
        }

        let service: RCRPService
        let responder: Responder
        let principal: Principal
        let method: HTTPMethod
        let feed: Feed
        let after: UInt64
        let limit: Int
        let deadline: ContinuousClock.Instant

        init(service: RCRPService, responder: Responder, principal: Principal, method: HTTPMethod, feed: Feed,
             after: UInt64, limit: Int, deadline: ContinuousClock.Instant) {
            self.service = service
            self.responder = responder
            self.principal = principal
            self.method = method
            self.feed = feed
            self.after = after
            self.limit = limit
            self.deadline = deadline
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
                state.agencyFeeds[agencyID]?.changes(after: after, limit: limit) { id in
                    status == nil || state.handoffs[id]?.status == status
                } ?? []
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
                let response = await service.disclose(request, principal) { [self] state, _ in
                    let changes = changes(state)
                    var items: [JSONValue] = []
                    var callIDs: [String] = []
                    for change in changes {
                        guard let handoff = state.handoffs[change.id] else { continue }
                        items.append(RCRPService.handoffJSON(handoff, call: state.calls[handoff.callID]))
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
        return await disclose(request, principal) { state, _ throws(APIError) in
            let handoff = try RCRPService.handoff(id, for: principal, in: state)
            return Disclosure(answer: RCRPService.handoffJSON(handoff, call: state.calls[handoff.callID]),
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
