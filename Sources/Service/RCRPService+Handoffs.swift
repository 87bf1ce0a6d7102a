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

    func pollAgencyHandoffs(_ request: HTTPRequest) async throws -> HTTPResponse {
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
        return try await longPoll(request, principal, topic: "agency:\(agencyID)", wait: wait, after: after, limit: limit,
                                  listName: "handoffs", feed: feed, head: { $0.agencyFeeds[agencyID]?.lastSeq ?? 0 })
    }

    // MARK: GET /v1/escalations — declined, escalated and unroutable handoffs, long-polled

    func pollEscalations(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.controlRoom, .supervisor])
        try requireReady(request)
        let after = try Query.cursor(request, "after")
        let wait = try Query.int(request, "wait", default: 0, range: 0...configuration.longPoll.maxWaitSeconds)
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        let feed: @Sendable (ServiceState) -> [(seq: UInt64, id: String)] = { state in
            state.escalations.changes(after: after, limit: limit)
        }
        return try await longPoll(request, principal, topic: "escalations", wait: wait, after: after, limit: limit,
                                  listName: "escalations", feed: feed, head: { $0.escalations.lastSeq })
    }

    /// Answers at once when the feed has changes after the cursor, else waits (holding no thread)
    /// until the topic changes or `wait` seconds pass. Items returned are logged as data reads.
    /// When the answer holds every match (fewer than `limit`), the cursor moves past the feed's
    /// head too, so that changes a `status` filter skipped are not scanned again.
    private func longPoll(_ request: HTTPRequest, _ principal: Principal, topic: String, wait: Int, after: UInt64, limit: Int,
                          listName: String, feed: @escaping @Sendable (ServiceState) -> [(seq: UInt64, id: String)],
                          head: @escaping @Sendable (ServiceState) -> UInt64) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + .seconds(wait)
        while state.read({ feed($0).isEmpty }) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            let admitted = await polls.wait(topic: topic, timeout: remaining) { [state] in
                !state.read { feed($0).isEmpty }
            }
            if !admitted {
                throw APIError(429, "Too Many Requests", detail: "Too many long polls are waiting; retry shortly.",
                               headers: ["Retry-After": "1"])
            }
            if Task.isCancelled { break }
        }
        return await disclose(request, principal) { state, _ in
            let changes = feed(state)
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
