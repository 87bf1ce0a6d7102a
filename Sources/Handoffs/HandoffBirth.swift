import Foundation
import Triage
import JSON

/// A handoff created by a command (triage, retriage, override, re-routing after deactivation),
/// with its deadlines already computed, so that folding the record is deterministic.
public struct HandoffBirth: Sendable, Hashable {
    public var handoffID: String
    public var callID: String
    public var decisionID: String
    public var agencyID: String?
    public var agencyKind: AgencyKind
    public var deadlines: HandoffDeadlines?

    public init(handoffID: String, callID: String, decisionID: String, agencyID: String?, agencyKind: AgencyKind,
                deadlines: HandoffDeadlines?) {
        self.handoffID = handoffID
        self.callID = callID
        self.decisionID = decisionID
        self.agencyID = agencyID
        self.agencyKind = agencyKind
        self.deadlines = agencyID == nil ? nil : deadlines
    }

    /// The new handoff as answers show it (API.md's `handoffs[]` of a decision).
    public var summary: JSONValue {
        .object(summaryMembers)
    }

    /// The birth as a ledger record carries it: the summary and the call and decision it belongs to.
    public var json: JSONValue {
        var object = summaryMembers
        object["call_id"] = .string(callID)
        object["decision_id"] = .string(decisionID)
        return .object(object)
    }

    private var summaryMembers: JSONObject {
        [
            "handoff_id": .string(handoffID), "agency_id": .optional(agencyID), "agency_kind": .string(agencyKind.rawValue),
            "status": .string(agencyID == nil ? HandoffStatus.unroutable.rawValue : HandoffStatus.pending.rawValue),
            "acknowledge_by": .optional(deadlines.map { RFC3339.format($0.acknowledgeBy) }),
            "accept_by": .optional(deadlines.map { RFC3339.format($0.acceptBy) }),
        ]
    }

    public init?(json: JSONValue) {
        guard let id = json["handoff_id"]?.stringValue, let callID = json["call_id"]?.stringValue,
              let decisionID = json["decision_id"]?.stringValue,
              let kind = json["agency_kind"]?.stringValue.flatMap(AgencyKind.init(rawValue:)) else { return nil }
        let agencyID = json["agency_id"]?.stringValue
        var deadlines: HandoffDeadlines?
        if agencyID != nil {
            guard let acknowledge = json["acknowledge_by"]?.stringValue.flatMap(RFC3339.parse),
                  let accept = json["accept_by"]?.stringValue.flatMap(RFC3339.parse) else { return nil }
            deadlines = HandoffDeadlines(acknowledgeBy: acknowledge, acceptBy: accept)
        }
        self.init(handoffID: id, callID: callID, decisionID: decisionID, agencyID: agencyID, agencyKind: kind, deadlines: deadlines)
    }

    public func handoff(createdAt: Date, seq: UInt64) -> Handoff {
        Handoff(id: handoffID, callID: callID, decisionID: decisionID, agencyID: agencyID, agencyKind: agencyKind,
                createdAt: createdAt,
                deadlines: deadlines ?? HandoffDeadlines(acknowledgeBy: createdAt, acceptBy: createdAt), seq: seq)
    }
}
