import Handoffs
import HTTPServer
import JSON

/// The 201 answer of POST /v1/calls. `bytes` writes it straight to JSON (the hot path); `json`
/// is the same answer as a value, built only when an idempotent replay must be stored. Both
/// give the same bytes, so a replay is the first answer byte for byte.
struct CreatedCall: Sendable {
    var callID: String
    var decisionID: String
    var incidentRef: String
    /// The decision's members as `RCRPService.decisionFields` builds them (shared with the record).
    var fields: JSONObject
    var births: [HandoffBirth]
    var decidedAt: String

    var bytes: [UInt8] {
        var out = JSONWriter(capacity: 2048)
        out.beginObject()
        out.key("call_id"); out.string(callID)
        out.key("decision_id"); out.string(decisionID)
        out.key("incident_ref"); out.string(incidentRef)
        out.members(fields)
        out.key("handoffs"); out.beginArray()
        for birth in births {
            // The members of `HandoffBirth.summary`, in its order.
            out.beginObject()
            out.key("handoff_id"); out.string(birth.handoffID)
            out.key("agency_id"); out.optional(birth.agencyID)
            out.key("agency_kind"); out.string(birth.agencyKind.rawValue)
            out.key("status"); out.string(birth.agencyID == nil ? HandoffStatus.unroutable.rawValue : HandoffStatus.pending.rawValue)
            out.key("acknowledge_by"); out.optional(birth.deadlines.map { RFC3339.format($0.acknowledgeBy) })
            out.key("accept_by"); out.optional(birth.deadlines.map { RFC3339.format($0.acceptBy) })
            out.endObject()
        }
        out.endArray()
        out.key("decided_at"); out.string(decidedAt)
        out.endObject()
        return out.bytes
    }

    var json: JSONValue {
        var answer: JSONObject = ["call_id": .string(callID), "decision_id": .string(decisionID), "incident_ref": .string(incidentRef)]
        for (key, value) in fields { answer[key] = value }
        answer["handoffs"] = .array(births.map(\.summary))
        answer["decided_at"] = .string(decidedAt)
        return .object(answer)
    }
}
