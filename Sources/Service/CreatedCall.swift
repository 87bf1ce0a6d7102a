import Handoffs
import HTTPServer
import JSON
import Triage

/// The 201 answer of POST /v1/calls and the JSON of its `call.triaged` record, written from
/// pieces serialised once: the decision's members (on the event loop, before the committer) and
/// each new handoff's summary go into both. `bytes` is the answer (the hot path); `json` is the
/// same answer as a value, built only when an idempotent replay must be stored. Both give the
/// same bytes, so a replay is the first answer byte for byte.
struct CreatedCall: Sendable {
    var callID: String
    var decisionID: String
    var incidentRef: String
    /// The decision's members as `RCRPService.decisionFields` builds them (shared with the record).
    var fields: JSONObject
    /// The same members as JSON, around `flags`.
    var members: DecisionMembers
    var flags: [String]
    var births: [HandoffBirth]
    var decidedAt: String

    /// The decision's members as JSON text, written from the typed decision in the order of
    /// `RCRPService.decisionFields`, without braces: those before `flags` and those after it
    /// (flags depend on the durable state, so only the committer knows them).
    struct DecisionMembers: Sendable {
        var head: [UInt8]
        var tail: [UInt8]

        init(_ decision: Decision) {
            var out = JSONWriter(capacity: 1024)
            out.key("outcome"); out.string(decision.outcome.rawValue)
            out.key("police_attend"); out.bool(decision.policeAttend)
            out.key("rule"); out.beginObject()
            out.key("id"); out.string(decision.ruleID)
            out.key("title"); out.string(decision.ruleTitle)
            out.key("rationale"); out.string(decision.rationale)
            out.key("citation"); out.string(decision.citation)
            out.endObject()
            out.key("rule_set"); out.beginObject()
            out.key("name"); out.string(decision.ruleSetName)
            out.key("revision"); out.string(decision.ruleSetRevision)
            out.endObject()
            out.key("caller_advice"); out.string(decision.callerAdvice)
            out.key("agency_kinds"); out.beginArray()
            for kind in decision.agencyKinds { out.string(kind.rawValue) }
            out.endArray()
            head = out.bytes
            var rest = JSONWriter(capacity: 256)
            rest.key("assumed"); rest.strings(decision.assumed)
            rest.key("review_required"); rest.bool(decision.reviewRequired)
            rest.key("acknowledge_within_minutes"); rest.optional(decision.acknowledgeWithinMinutes)
            rest.key("accept_within_minutes"); rest.optional(decision.acceptWithinMinutes)
            tail = rest.bytes
        }
    }

    /// Each birth's summary members (`HandoffBirth.summary` without braces), written once for
    /// both the answer and the record.
    private var summaries: [[UInt8]] {
        births.map { birth in
            var out = JSONWriter(capacity: 256)
            out.key("handoff_id"); out.string(birth.handoffID)
            out.key("agency_id"); out.optional(birth.agencyID)
            out.key("agency_kind"); out.string(birth.agencyKind.rawValue)
            out.key("status"); out.string(birth.agencyID == nil ? HandoffStatus.unroutable.rawValue : HandoffStatus.pending.rawValue)
            out.key("acknowledge_by"); out.optional(birth.deadlines.map { RFC3339.format($0.acknowledgeBy) })
            out.key("accept_by"); out.optional(birth.deadlines.map { RFC3339.format($0.acceptBy) })
            return out.bytes
        }
    }

    private func writeDecisionMembers(_ out: inout JSONWriter) {
        out.fragment(members.head)
        out.key("flags"); out.strings(flags)
        out.fragment(members.tail)
    }

    /// The answer and the record's body up to its closing brace (the committer adds
    /// `request_id` and `idempotency`), members in the order of the record's `JSONObject`:
    /// `call_id`, `call` (`call` is the canonical call, already serialised), `decision`, `handoffs`.
    func render(call: [UInt8]) -> (answer: [UInt8], openRecord: [UInt8]) {
        let summaries = self.summaries
        var out = JSONWriter(capacity: 2048)
        out.beginObject()
        out.key("call_id"); out.string(callID)
        out.key("decision_id"); out.string(decisionID)
        out.key("incident_ref"); out.string(incidentRef)
        writeDecisionMembers(&out)
        out.key("handoffs"); out.beginArray()
        for summary in summaries {
            out.beginObject(); out.fragment(summary); out.endObject()
        }
        out.endArray()
        out.key("decided_at"); out.string(decidedAt)
        out.endObject()
        let answer = out.bytes

        var record = JSONWriter(capacity: call.count + 2048)
        record.beginObject()
        record.key("call_id"); record.string(callID)
        record.key("call"); record.raw(call)
        record.key("decision"); record.beginObject()
        writeDecisionMembers(&record)
        record.key("decision_id"); record.string(decisionID)
        record.key("kind"); record.string("triage")
        record.key("by"); record.string("rule_engine")
        record.key("decided_at"); record.string(decidedAt)
        record.endObject()
        record.key("handoffs"); record.beginArray()
        for (birth, summary) in zip(births, summaries) {
            // `HandoffBirth.json`: the summary, then the call and decision it belongs to.
            record.beginObject()
            record.fragment(summary)
            record.key("call_id"); record.string(birth.callID)
            record.key("decision_id"); record.string(birth.decisionID)
            record.endObject()
        }
        record.endArray()
        return (answer, record.bytes)
    }

    /// The answer alone (tests compare it with `json`).
    var bytes: [UInt8] { render(call: Array("{}".utf8)).answer }

    var json: JSONValue {
        var answer: JSONObject = ["call_id": .string(callID), "decision_id": .string(decisionID), "incident_ref": .string(incidentRef)]
        for (key, value) in fields { answer[key] = value }
        answer["handoffs"] = .array(births.map(\.summary))
        answer["decided_at"] = .string(decidedAt)
        return .object(answer)
    }
}
