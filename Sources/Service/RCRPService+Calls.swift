import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Triage

extension RCRPService {
    // MARK: POST /v1/triage — evaluate and explain, record nothing

    func triage(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authorize(request, Self.anyRole)
        let call = try decodeCall(RequestBody.json(request))
        let rules = ruleSet
        let explanation = rules.explain(call)
        let decision = explanation.decision
        let now = clock()
        let (routes, flags) = state.read { state in
            (decision.agencyKinds.uniqued().map { kind in (kind, state.agencies.route(kind: kind, area: call.location.area)) },
             repeatContactFlags(call: call, state: state, now: now))
        }
        // Written straight to bytes, in the same member order as the recorded decision.
        var out = JSONWriter(capacity: 8192)
        out.beginObject()
        out.key("incident_ref"); out.string(call.incidentRef)
        // outcome, police_attend, rule, rule_set, caller_advice, agency_kinds: the rule's own,
        // serialised once per thread (the same members a recorded decision starts with).
        out.fragment(DecisionHead.of(decision).bytes)
        out.key("flags"); out.strings(flags)
        out.key("assumed"); out.strings(decision.assumed)
        out.key("review_required"); out.bool(decision.reviewRequired)
        out.key("acknowledge_within_minutes"); out.optional(decision.acknowledgeWithinMinutes)
        out.key("accept_within_minutes"); out.optional(decision.acceptWithinMinutes)
        out.key("handoffs"); out.beginArray()
        for (kind, agency) in routes {
            out.beginObject()
            out.key("agency_id"); out.optional(agency?.id)
            out.key("agency_kind"); out.string(kind.rawValue)
            out.key("status"); out.string(agency == nil ? HandoffStatus.unroutable.rawValue : HandoffStatus.pending.rawValue)
            out.endObject()
        }
        out.endArray()
        out.key("decided_at"); out.string(RFC3339.format(now))
        out.key("explanation"); out.beginObject()
        out.key("matched"); out.string(decision.ruleID)
        out.key("not_matched"); out.beginArray()
        let texts = ThreadCaches.current.explanationTexts
        for item in explanation.notMatched { texts.write(item, revision: rules.revision, into: &out) }
        out.endArray()
        out.endObject()
        out.endObject()
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: out.bytes)
    }

    // MARK: POST /v1/calls — decide, record, create handoffs

    /// A deferred route: decoding and deciding run inline on the event loop, like triage; the
    /// committer answers through `responder` once the record is durable (no task per request).
    func createCall(_ request: HTTPRequest, _ responder: Responder) throws -> HTTPResponse? {
        let principal = try authorize(request, [.controlRoom])
        let call = try decodeCall(RequestBody.json(request))
        let decision = ruleSet.decide(call)
        var keys = ["incident:\(call.incidentRef)"]
        if let reference = call.subject.reference { keys.append("subject:\(reference)") }
        // Everything is built here, on the event loop, in parallel with other requests: first
        // what does not depend on the durable state, then (below) what does (ids, time, flags,
        // routing). The call and the decision are serialised once, and the record and the
        // answer splice those bytes. What the rule alone fixes comes from a cache (one rule
        // decides many calls).
        let callJSON = call.json
        let callBytes = call.jsonBytes
        let head = DecisionHead.of(decision)
        var decisionTree = head.fields
        Self.appendDecisionTail(of: decision, flags: [], to: &decisionTree)
        let unflagged = decisionTree
        let members = CreatedCall.DecisionMembers(head: head, decision)
        let reference = call.subject.reference
        let decide: @Sendable (CallInputs, Date) -> WriteDecision = { [self] inputs, now in
            let callID = Identifier.make("c", at: now)
            let decisionID = Identifier.make("d", at: now)
            let flags = repeatContactFlags(call: call, contacts: inputs.contacts, now: now)
            let births = handoffBirths(kinds: decision.agencyKinds, call: call, callID: callID, decisionID: decisionID,
                                       decision: decision, agencies: inputs.agencies, now: now)
            // The decision's members are shared by the record and the answer; setting `flags`
            // replaces the member in place, so the order is decisionFields' own.
            var fields = unflagged
            if !flags.isEmpty { fields["flags"] = .array(flags.map(JSONValue.string)) }
            let decidedAt = RFC3339.format(now)
            // The recorded decision: the same values and four more, under the head's shared names.
            assert(Array(head.recordedKeys.prefix(fields.count)) == fields.keys, "decision members out of order")
            var values: [JSONValue] = []
            values.reserveCapacity(head.recordedKeys.count)
            values.append(contentsOf: fields.values)
            values.append(.string(decisionID))
            values.append("triage")
            values.append("rule_engine")
            values.append(.string(decidedAt))
            let recorded = JSONObject(sharedKeys: head.recordedKeys, values: values)
            let answer = CreatedCall(callID: callID, decisionID: decisionID, incidentRef: call.incidentRef, fields: fields,
                                     members: members, flags: flags, births: births, decidedAt: decidedAt)
            let (rendered, openRecord, birthJSON) = answer.render(call: callBytes)
            var body = JSONObject(capacity: 6)
            body.appendNew("call_id", .string(callID))
            body.appendNew("call", callJSON)
            body.appendNew("decision", .object(recorded))
            body.appendNew("handoffs", .array(birthJSON))
            return .writeRendered(type: "call.triaged", body: body, openBody: openRecord, status: 201, rendered: rendered, callBytes: callBytes,
                                  answer: { answer.json })
        }
        // Decided here, against what the state holds now, so that the one committer does not
        // have to: it uses this decision if the state still reads the same when the call's batch
        // is formed, and decides again otherwise (an agency changed, or another call about the
        // same subject was recorded in between). When the committer holds the state's lock,
        // the loop leaves the deciding to it rather than wait.
        let prepared = state.readIfFree { CallInputs($0, reference: reference) }.map { seen in
            let now = clock()
            return PreparedWrite(decision: decide(seen, now), decidedAt: now) { state in
                CallInputs(state, reference: reference).reads(as: seen)
            }
        }
        try write(request, principal, conflictKeys: keys, responder: responder, prepared: prepared) { state, now in
            decide(CallInputs(state, reference: reference), now)
        }
        return nil
    }

    /// What a new call's decision reads of the durable state, beyond the call and the rules:
    /// the agencies it is routed among, and its subject's earlier contacts (repeat contact).
    struct CallInputs: Sendable {
        var agencies: AgencyDirectory
        var contacts: [Date]?

        init(_ state: borrowing ServiceState, reference: String?) {
            agencies = state.agencies
            contacts = reference.flatMap { state.subjectContacts[$0] }
        }

        /// Whether a decision made on `other` is the one these inputs give. Both are copies of
        /// the state's own arrays, so an unchanged state compares by identity, not element by element.
        func reads(as other: CallInputs) -> Bool {
            agencies.agencies == other.agencies.agencies && contacts == other.contacts
        }
    }

    // MARK: GET /v1/calls/{call_id} and GET /v1/calls

    func getCall(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.controlRoom, .supervisor, .auditor])
        let id = request.parameters["call_id"] ?? ""
        return await disclose(request, actor: principal.keyID) { [self] state, _ throws(APIError) in
            guard let entry = state.calls[id] else { throw APIError.notFound("No call \(id).") }
            return Disclosure(answer: callJSON(entry, state: state), callIDs: [id], handoffIDs: entry.handoffIDs)
        }
    }

    func listCalls(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.controlRoom, .supervisor, .auditor])
        let outcome = try Query.oneOf(request, "outcome", Outcome.allCases.map(\.rawValue))
        let callType = try Query.oneOf(request, "call_type", CallType.allCases.map(\.rawValue))
        let from = try Query.date(request, "from")
        let to = try Query.date(request, "to")
        let cursor = try Query.cursor(request, "cursor")
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        // A rare filter may scan every call: it scans copy-on-write copies taken under the lock,
        // outside it and outside the committer, so that it holds up neither (calls are only
        // ever added, so the page is the same as under the lock).
        let (order, calls) = state.read { ($0.callOrder, $0.calls) }
        var items: [JSONValue] = []
        var ids: [String] = []
        var position = Int(min(cursor, UInt64(order.count)))
        var nextCursor: JSONValue = .null
        while position < order.count {
            guard let entry = calls[order[position]] else { position += 1; continue }
            position += 1
            if let outcome, entry.outcome != outcome { continue }
            if let callType, entry.callType != callType { continue }
            if let from, entry.receivedAt < from { continue }
            if let to, entry.receivedAt >= to { continue }
            items.append(RCRPService.callSummary(entry))
            ids.append(entry.id)
            if items.count == limit {
                if position < order.count { nextCursor = .string(String(position)) }
                break
            }
        }
        let page = Disclosure(answer: ["calls": .array(items), "next_cursor": nextCursor], callIDs: ids)
        return await disclose(request, actor: principal.keyID) { _, _ in page }
    }

    // MARK: POST /v1/calls/{call_id}/retriage

    func retriage(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.controlRoom, .supervisor])
        let id = request.parameters["call_id"] ?? ""
        guard case .object(let partial) = try RequestBody.json(request) else {
            throw APIError.invalid([BodyProblem(field: "", problem: "must be a JSON object")])
        }
        let rules = ruleSet
        let response = try await write(request, principal, conflictKeys: ["call:\(id)"]) { [self] state, now throws(APIError) in
            guard let entry = state.calls[id] else { throw APIError.notFound("No call \(id).") }
            let merged = Self.merge(entry.call, with: .object(partial))
            var call = try decodeCall(merged)
            // Facts assumed before and still not given stay assumed.
            let previouslyAssumed = entry.decision["assumed"]?.arrayValue?.compactMap(\.stringValue) ?? []
            call.assumed = (call.assumed + previouslyAssumed.filter { !Self.contains(.object(partial), path: $0) }).uniqued()
            var decision = rules.decide(call)
            decision.assumed = call.assumed
            let decisionID = Identifier.make("d", at: now)
            let flags = entry.flags
            // An agency that declined this call is not handed it straight back (the decline
            // returned it to the control room); with no other agency, the handoff is unroutable.
            let declinedBy = Set(entry.handoffIDs.compactMap { id in
                state.handoffs[id].flatMap { $0.status == .declined ? $0.agencyID : nil }
            })
            let (cancelled, births) = reconcile(entry, kinds: decision.agencyKinds, routing: HandoffRouting(call), decisionID: decisionID,
                                                ruleMinutes: (decision.acknowledgeWithinMinutes, decision.acceptWithinMinutes),
                                                state: state, now: now, excluding: declinedBy)
            var recorded = Self.decisionFields(decision, flags: flags)
            recorded["decision_id"] = .string(decisionID)
            recorded["kind"] = "retriage"
            recorded["by"] = "rule_engine"
            recorded["supersedes"] = entry.decision["decision_id"] ?? .null
            recorded["decided_at"] = .string(RFC3339.format(now))
            let body: JSONObject = ["call_id": .string(id), "call": call.json, "decision": .object(recorded),
                                    "cancelled": .array(cancelled.map(JSONValue.string)), "handoffs": .array(births.map(\.json))]
            return .write(type: "call.retriaged", body: body, status: 200,
                          answer: decisionAnswer(callID: id, entry: entry, decision: recorded, cancelled: cancelled, births: births))
        }
        return response
    }

    // MARK: POST /v1/calls/{call_id}/override

    func override(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.supervisor])
        let id = request.parameters["call_id"] ?? ""
        let object = try RequestBody.object(request, allowed: ["outcome", "reason", "reviewer", "agency_kinds"])
        var checks = FieldChecks()
        let outcomeText = checks.string(object, "outcome", max: 32, required: true)
        let outcome = outcomeText.flatMap(Outcome.init(rawValue:))
        if outcomeText != nil && outcome == nil {
            checks.problems.append(BodyProblem(field: "outcome", problem: "must be one of \(Outcome.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        let reason = checks.string(object, "reason", max: 4000, required: true)
        let reviewer = checks.string(object, "reviewer", max: 200, required: true)
        var givenKinds: [AgencyKind]?
        switch object["agency_kinds"] {
        case nil, .null?: break
        case .array(let items)?:
            givenKinds = []
            for (index, item) in items.enumerated() {
                if let kind = item.stringValue.flatMap(AgencyKind.init(rawValue:)) { givenKinds?.append(kind) } else {
                    checks.problems.append(BodyProblem(field: "agency_kinds[\(index)]", problem: "must be an agency kind"))
                }
            }
        default:
            checks.problems.append(BodyProblem(field: "agency_kinds", problem: "must be a list of agency kinds"))
        }
        try checks.finish()
        guard let outcome, let reason, let reviewer else { throw APIError.invalid(checks.problems) }
        let requestedKinds = givenKinds
        let response = try await write(request, principal, conflictKeys: ["call:\(id)"]) { [self] state, now throws(APIError) in
            guard let entry = state.calls[id] else { throw APIError.notFound("No call \(id).") }
            let previous = entry.decision
            let previousKinds = previous["agency_kinds"]?.arrayValue?.compactMap { $0.stringValue.flatMap(AgencyKind.init(rawValue:)) } ?? []
            let kinds: [AgencyKind]
            // Police attending does not end health's part (API.md: police_attend may carry
            // handoffs too), so only advice_only drops the previous agencies unless told otherwise.
            switch outcome {
            case .handoff, .jointResponse, .policeAttend: kinds = requestedKinds ?? previousKinds
            case .adviceOnly: kinds = requestedKinds ?? []
            }
            if (outcome == .handoff || outcome == .jointResponse) && kinds.isEmpty {
                throw APIError.invalid([BodyProblem(field: "agency_kinds", problem: "must name at least one agency kind for \(outcome.rawValue)")])
            }
            let decisionID = Identifier.make("d", at: now)
            let policeAttend = outcome == .policeAttend || outcome == .jointResponse
            var recorded = JSONObject()
            recorded["decision_id"] = .string(decisionID)
            recorded["kind"] = "override"
            recorded["by"] = .string(principal.keyID)
            recorded["supersedes"] = previous["decision_id"] ?? .null
            recorded["outcome"] = .string(outcome.rawValue)
            recorded["police_attend"] = .bool(policeAttend)
            recorded["rule"] = previous["rule"] ?? .null
            recorded["rule_set"] = previous["rule_set"] ?? .null
            recorded["caller_advice"] = .string(Self.overrideAdvice(policeAttend: policeAttend, kinds: kinds))
            recorded["agency_kinds"] = .array(kinds.map { .string($0.rawValue) })
            recorded["flags"] = previous["flags"] ?? []
            recorded["assumed"] = previous["assumed"] ?? []
            recorded["review_required"] = false
            recorded["override"] = ["reason": .string(reason), "reviewer": .string(reviewer), "by": .string(principal.keyID)]
            recorded["decided_at"] = .string(RFC3339.format(now))
            let minutes = (acknowledge: previous["acknowledge_within_minutes"]?.intValue.map(Int.init),
                           accept: previous["accept_within_minutes"]?.intValue.map(Int.init))
            recorded["acknowledge_within_minutes"] = .optional(minutes.acknowledge)
            recorded["accept_within_minutes"] = .optional(minutes.accept)
            let (cancelled, births) = reconcile(entry, kinds: kinds, routing: HandoffRouting(entry), decisionID: decisionID,
                                                ruleMinutes: minutes, state: state, now: now)
            let body: JSONObject = ["call_id": .string(id), "decision": .object(recorded),
                                    "cancelled": .array(cancelled.map(JSONValue.string)), "handoffs": .array(births.map(\.json))]
            return .write(type: "call.overridden", body: body, status: 200,
                          answer: decisionAnswer(callID: id, entry: entry, decision: recorded, cancelled: cancelled, births: births))
        }
        return response
    }

    // MARK: POST /v1/calls/{call_id}/caller-informed

    func callerInformed(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.controlRoom, .supervisor])
        let id = request.parameters["call_id"] ?? ""
        let object = try RequestBody.object(request, allowed: ["by", "at"])
        var checks = FieldChecks()
        let by = checks.string(object, "by", required: true)
        let atText = checks.string(object, "at", max: 64, required: false)
        let at = atText.flatMap(RFC3339.parse)
        if atText != nil && at == nil { checks.problems.append(BodyProblem(field: "at", problem: "must be an RFC 3339 time")) }
        try checks.finish()
        guard let by else { throw APIError.invalid(checks.problems) }
        return try await write(request, principal, conflictKeys: ["call:\(id)"]) { state, now throws(APIError) in
            guard let entry = state.calls[id] else { throw APIError.notFound("No call \(id).") }
            let when = RFC3339.format(at ?? now)
            let body: JSONObject = ["call_id": .string(id), "by": .string(by), "at": .string(when)]
            var summary = RCRPService.callSummary(entry).objectValue ?? [:]
            summary["caller_informed"] = ["by": .string(by), "at": .string(when), "recorded_at": .string(RFC3339.format(now))]
            return .write(type: "call.caller_informed", body: body, status: 200, answer: .object(summary))
        }
    }

    // MARK: - Decisions, handoffs and their JSON

    func decodeCall(_ json: JSONValue) throws(APIError) -> Call {
        switch Call.decode(json) {
        case .success(let call): return call
        case .failure(let error):
            throw APIError.invalid(error.problems.map { BodyProblem(field: $0.field, problem: $0.problem) },
                                   detail: "The call has \(error.problems.count) invalid field(s).")
        }
    }

    /// `repeat_contact` when this call makes N calls about the subject within D days (RCRP.md).
    func repeatContactFlags(call: Call, state: ServiceState, now: Date) -> [String] {
        repeatContactFlags(call: call, contacts: call.subject.reference.flatMap { state.subjectContacts[$0] }, now: now)
    }

    /// The flags from the subject's earlier contacts (`subjectContacts` for its reference).
    func repeatContactFlags(call: Call, contacts: [Date]?, now: Date) -> [String] {
        guard call.subject.reference != nil else { return [] }
        let policy = configuration.repeatContact
        let earlier = ServiceState.contacts(in: contacts, before: call.receivedAt ?? now, days: policy.days)
        return earlier + 1 >= policy.calls ? ["repeat_contact"] : []
    }

    /// The decision fields every answer and record shares (API.md's decision shape), after the
    /// ids the answer leads with. Built in one go: these objects are on the hot path.
    static func decisionFields(_ decision: Decision, flags: [String], callID: String? = nil, decisionID: String? = nil,
                               incidentRef: String? = nil) -> JSONObject {
        // Each member appended once, in API.md's order: no look-up per member.
        var object = JSONObject(capacity: 16)
        if let callID { object.appendNew("call_id", .string(callID)) }
        if let decisionID { object.appendNew("decision_id", .string(decisionID)) }
        if let incidentRef { object.appendNew("incident_ref", .string(incidentRef)) }
        DecisionHead.appendMembers(of: decision, to: &object)
        appendDecisionTail(of: decision, flags: flags, to: &object)
        return object
    }

    /// The decision fields after the rule's own (`DecisionHead`): from `flags` on.
    static func appendDecisionTail(of decision: Decision, flags: [String], to object: inout JSONObject) {
        object.appendNew("flags", .array(flags.map(JSONValue.string)))
        object.appendNew("assumed", .array(decision.assumed.map(JSONValue.string)))
        object.appendNew("review_required", .bool(decision.reviewRequired))
        object.appendNew("acknowledge_within_minutes", .optional(decision.acknowledgeWithinMinutes))
        object.appendNew("accept_within_minutes", .optional(decision.acceptWithinMinutes))
    }

    func handoffBirths(kinds: [AgencyKind], call: Call, callID: String, decisionID: String, decision: Decision,
                       agencies: AgencyDirectory, now: Date) -> [HandoffBirth] {
        kinds.uniqued().map { kind in
            birth(kind: kind, routing: HandoffRouting(call), callID: callID, decisionID: decisionID,
                  ruleMinutes: (decision.acknowledgeWithinMinutes, decision.acceptWithinMinutes), agencies: agencies, now: now)
        }
    }

    /// A new handoff of `kind` to the agency that covers the call's area most specifically,
    /// or unroutable when none does, or when the call has no area to route by (it then escalates
    /// at once: a `*` agency is never chosen for a call whose area is unknown).
    func birth(kind: AgencyKind, routing: HandoffRouting, callID: String, decisionID: String, ruleMinutes: (acknowledge: Int?, accept: Int?),
               agencies: AgencyDirectory, now: Date, excluding: Set<String> = []) -> HandoffBirth {
        let agency = routing.area.isEmpty ? nil : agencies.route(kind: kind, area: routing.area, excluding: excluding)
        let deadlines = agency.map { agency in
            HandoffDeadlines.compute(createdAt: now, ruleAcknowledgeMinutes: ruleMinutes.acknowledge, ruleAcceptMinutes: ruleMinutes.accept,
                                     agencyAcknowledgeMinutes: agency.acknowledgeWithinMinutes,
                                     agencyAcceptMinutes: agency.acceptWithinMinutes,
                                     defaults: configuration.defaultDeadlines,
                                     s136ArrivedAt: routing.s136ArrivedAt)
        }
        return HandoffBirth(handoffID: Identifier.make("h", at: now), callID: callID, decisionID: decisionID,
                            agencyID: agency?.id, agencyKind: kind, deadlines: deadlines)
    }

    /// After a new decision: open handoffs of kinds no longer wanted (and unroutable ones) are
    /// cancelled; wanted kinds without an open or completed handoff get a new one, never to an
    /// agency in `excluding`. Nothing is overwritten.
    func reconcile(_ entry: CallEntry, kinds: [AgencyKind], routing: HandoffRouting, decisionID: String,
                   ruleMinutes: (acknowledge: Int?, accept: Int?), state: ServiceState, now: Date,
                   excluding: Set<String> = []) -> (cancelled: [String], births: [HandoffBirth]) {
        let wanted = Set(kinds)
        var covered = Set<AgencyKind>()
        var cancelled: [String] = []
        for id in entry.handoffIDs {
            guard let handoff = state.handoffs[id] else { continue }
            if handoff.status == .unroutable || (handoff.status.isOpen && !wanted.contains(handoff.agencyKind)) {
                cancelled.append(id)
            } else if handoff.status.isOpen || handoff.status == .completed {
                // An agency that has done its part is not asked again for the same call.
                covered.insert(handoff.agencyKind)
            }
        }
        let births = kinds.uniqued().filter { !covered.contains($0) }.map { kind in
            birth(kind: kind, routing: routing, callID: entry.id, decisionID: decisionID, ruleMinutes: ruleMinutes,
                  agencies: state.agencies, now: now, excluding: excluding)
        }
        return (cancelled, births)
    }

    func decisionAnswer(callID: String, entry: CallEntry, decision: JSONObject, cancelled: [String], births: [HandoffBirth]) -> JSONValue {
        var answer: JSONObject = ["call_id": .string(callID), "incident_ref": .string(entry.incidentRef)]
        for (key, value) in decision { answer[key] = value }
        answer["handoffs"] = .array(births.map(\.summary))
        answer["cancelled_handoffs"] = .array(cancelled.map(JSONValue.string))
        return .object(answer)
    }

    static func overrideAdvice(policeAttend: Bool, kinds: [AgencyKind]) -> String {
        if policeAttend { return "Tell the caller that police will attend." }
        let who = kinds.isEmpty ? "the right service" : kinds.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }.joined(separator: " and ")
        return "Tell the caller that police will not attend, that \(who) will be asked to help, and to call 999 again if anyone is in immediate danger."
    }

    static func callSummary(_ entry: CallEntry) -> JSONValue {
        [
            "call_id": .string(entry.id), "incident_ref": .string(entry.incidentRef), "call_type": .string(entry.callType),
            "received_at": .string(RFC3339.format(entry.receivedAt)), "recorded_at": .string(RFC3339.format(entry.createdAt)),
            "decision_id": entry.decision["decision_id"] ?? .null, "outcome": .string(entry.outcome),
            "police_attend": .bool(entry.policeAttend), "flags": .array(entry.flags.map(JSONValue.string)),
            "handoff_ids": .array(entry.handoffIDs.map(JSONValue.string)),
            "caller_informed": entry.callerInformed.last ?? .null,
            "decided_at": entry.decision["decided_at"] ?? .null,
        ]
    }

    func callJSON(_ entry: CallEntry, state: ServiceState) -> JSONValue {
        [
            "call_id": .string(entry.id), "incident_ref": .string(entry.incidentRef),
            "recorded_at": .string(RFC3339.format(entry.createdAt)), "call": entry.call,
            "decisions": .array(entry.decisions),
            "received_at": .string(RFC3339.format(entry.receivedAt)),
            "handoffs": .array(entry.handoffIDs.compactMap { state.handoffs[$0].map { $0.json(call: nil) } }),
            // The latest time the caller was told; every time is in the ledger.
            "caller_informed": entry.callerInformed.last ?? .null,
        ]
    }

    /// Merges a partial call (retriage) into the recorded one: objects member by member.
    static func merge(_ base: JSONValue, with patch: JSONValue) -> JSONValue {
        guard case .object(var merged) = base, case .object(let changes) = patch else { return patch }
        for (key, value) in changes {
            if let existing = merged[key], existing.objectValue != nil, value.objectValue != nil {
                merged[key] = merge(existing, with: value)
            } else {
                merged[key] = value
            }
        }
        return .object(merged)
    }

    /// Whether a dotted path (`risk.immediacy`) is present in a JSON object.
    static func contains(_ value: JSONValue, path: String) -> Bool {
        var current: JSONValue? = value
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current != nil
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
