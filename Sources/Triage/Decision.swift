import Foundation
import JSON

/// What the rule set decided for one call, and everything a reviewer needs to see why.
public struct Decision: Sendable, Hashable {
    public var ruleID: String
    public var ruleTitle: String
    public var rationale: String
    public var citation: String
    public var callerAdvice: String
    public var outcome: Outcome
    /// True exactly for `police_attend` and `joint_response`.
    public var policeAttend: Bool
    public var agencyKinds: [AgencyKind]
    public var reviewRequired: Bool
    /// The rule's deadline overrides; nil means the receiving agency's own.
    public var acknowledgeWithinMinutes: Int?
    public var acceptWithinMinutes: Int?
    public var assumed: [String]
    public var ruleSetName: String
    public var ruleSetRevision: String

    /// The minutes a s136 handover allows from arrival (NPA: handover within one hour).
    public static let s136HandoverMinutes = 60

    /// The accept-by deadline the call itself fixes, if any: for a `s136_handover` call, the
    /// arrival at the place of safety plus the rule's accept minutes (one hour unless overridden).
    /// Other deadlines run from when a handoff is created, which the Handoffs layer knows.
    public func acceptBy(for call: Call) -> Date? {
        guard call.callType == .s136Handover, let arrived = call.s136?.arrivedAt else { return nil }
        return arrived.addingTimeInterval(Double((acceptWithinMinutes ?? Decision.s136HandoverMinutes) * 60))
    }
}


extension Decision {
    /// The decision fields of the API answer (API.md): `outcome`, `police_attend`, `rule`,
    /// `rule_set`, `caller_advice`, `agency_kinds`, `assumed`, `review_required`, and the rule's
    /// deadline overrides when it has them. Ids, handoffs, flags and times are the Service's.
    public var json: JSONValue {
        var object: JSONObject = [
            "outcome": .string(outcome.rawValue),
            "police_attend": .bool(policeAttend),
            "rule": ["id": .string(ruleID), "title": .string(ruleTitle), "rationale": .string(rationale), "citation": .string(citation)],
            "rule_set": ["name": .string(ruleSetName), "revision": .string(ruleSetRevision)],
            "caller_advice": .string(callerAdvice),
            "agency_kinds": .array(agencyKinds.map { .string($0.rawValue) }),
            "assumed": .array(assumed.map(JSONValue.string)),
            "review_required": .bool(reviewRequired),
        ]
        if let acknowledgeWithinMinutes { object["acknowledge_within_minutes"] = .int(acknowledgeWithinMinutes) }
        if let acceptWithinMinutes { object["accept_within_minutes"] = .int(acceptWithinMinutes) }
        return .object(object)
    }
}
