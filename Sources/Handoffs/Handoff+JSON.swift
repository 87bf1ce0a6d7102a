import Foundation
import JSON

extension Handoff {
    /// The whole handoff as partners and the control room see it: its state, deadlines and
    /// history, and (when the call is given) the call facts and the decision that created it.
    /// Lives here, not in the Service, because the fold stores it as a partner move's
    /// idempotent answer (the handoff as it was right after the move).
    public func json(call: CallEntry?) -> JSONValue {
        var object: JSONObject = [
            "handoff_id": .string(id), "call_id": .string(callID), "decision_id": .string(decisionID),
            "agency_id": .optional(agencyID), "agency_kind": .string(agencyKind.rawValue),
            "status": .string(status.rawValue), "created_at": .string(RFC3339.format(createdAt)),
            "updated_at": .string(RFC3339.format(history.last?.at ?? createdAt)),
            "acknowledge_by": .optional(acknowledgeBy.map(RFC3339.format)),
            "accept_by": .optional(acceptBy.map(RFC3339.format)),
            "acknowledged_at": .optional(acknowledgedAt.map(RFC3339.format)),
            "accepted_at": .optional(acceptedAt.map(RFC3339.format)),
            "decline_reason": .optional(declineReason?.rawValue),
            "escalation_cause": .optional(escalationCause?.rawValue),
            "history": .array(history.map { step in
                var item: JSONObject = ["status": .string(step.status.rawValue), "at": .string(RFC3339.format(step.at))]
                if let by = step.by { item["by"] = .string(by) }
                if let reason = step.reason { item["reason"] = .string(reason) }
                if let note = step.note { item["note"] = .string(note) }
                return .object(item)
            }),
            "cursor": .string(String(changedSeq)),
        ]
        if let call {
            object["incident_ref"] = .string(call.incidentRef)
            object["call"] = call.call
            if let decision = call.decisions.last(where: { $0["decision_id"]?.stringValue == decisionID }) {
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
