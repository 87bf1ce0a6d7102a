import Foundation

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
