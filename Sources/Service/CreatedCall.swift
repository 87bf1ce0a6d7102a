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

    /// The decision's members as JSON text in the order of `RCRPService.decisionFields`, without
    /// braces: those before `flags` (the rule's, `DecisionHead`) and those after it (flags depend
    /// on the durable state, so only the committer knows them).
    struct DecisionMembers: Sendable {
        var head: [UInt8]
        var tail: [UInt8]

        /// `head`: the rule's members of `decision` (`DecisionHead.of`, usually cached).
        init(head: DecisionHead, _ decision: Decision) {
            self.head = head.bytes
            var rest = JSONWriter(capacity: 256)
            rest.key("assumed"); rest.strings(decision.assumed)
            rest.key("review_required"); rest.bool(decision.reviewRequired)
            rest.key("acknowledge_within_minutes"); rest.optional(decision.acknowledgeWithinMinutes)
            rest.key("accept_within_minutes"); rest.optional(decision.acceptWithinMinutes)
            tail = rest.bytes
        }

        init(_ decision: Decision) {
            self.init(head: DecisionHead(decision), decision)
        }
    }

    /// Each birth as the record carries it (`HandoffBirth.json`) and its summary members as JSON
    /// text (`HandoffBirth.summary` without braces), from one formatting of its deadlines.
    private var birthPieces: (json: [JSONValue], summaries: [[UInt8]]) {
        var json: [JSONValue] = []
        var summaries: [[UInt8]] = []
        json.reserveCapacity(births.count)
        summaries.reserveCapacity(births.count)
        for birth in births {
            let status = birth.agencyID == nil ? HandoffStatus.unroutable.rawValue : HandoffStatus.pending.rawValue
            let acknowledgeBy = birth.deadlines.map { RFC3339.format($0.acknowledgeBy) }
            let acceptBy = birth.deadlines.map { RFC3339.format($0.acceptBy) }
            var object = JSONObject(capacity: 8)
            object.appendNew("handoff_id", .string(birth.handoffID))
            object.appendNew("agency_id", .optional(birth.agencyID))
            object.appendNew("agency_kind", .string(birth.agencyKind.rawValue))
            object.appendNew("status", .string(status))
            object.appendNew("acknowledge_by", .optional(acknowledgeBy))
            object.appendNew("accept_by", .optional(acceptBy))
            var out = JSONWriter(capacity: 256)
            out.members(object)
            summaries.append(out.bytes)
            object.appendNew("call_id", .string(birth.callID))
            object.appendNew("decision_id", .string(birth.decisionID))
            json.append(.object(object))
        }
        return (json, summaries)
    }

    private func writeDecisionMembers(_ out: inout JSONWriter) {
        out.fragment(members.head)
        out.key("flags"); out.strings(flags)
        out.fragment(members.tail)
    }

    /// The answer and the record's body up to its closing brace (the committer adds
    /// `request_id` and `idempotency`), members in the order of the record's `JSONObject`:
    /// `call_id`, `call` (`call` is the canonical call, already serialised), `decision`, `handoffs`.
    /// `births` is the record's `handoffs` member as values (the same text as `openRecord` holds).
    func render(call: [UInt8]) -> (answer: [UInt8], openRecord: [UInt8], births: [JSONValue]) {
        let (birthJSON, summaries) = birthPieces
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
        return (answer, record.bytes, birthJSON)
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
