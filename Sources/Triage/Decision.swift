import Foundation
import JSON

/// What the rule set decided for one call, and everything a reviewer needs to see why.
///
/// The rule's part is shared, immutable storage: a decision costs two reference counts to copy
/// however much text its rule carries, which keeps the engine well above a million a second.
/// Every property is still settable (copy on write), e.g. for a supervisor's override.
public struct Decision: Sendable, Hashable {
    /// The fields that come from the rule and the rule set.
    struct Fields: Sendable, Hashable {
        var ruleID, ruleTitle, rationale, citation, callerAdvice: String
        var outcome: Outcome
        var agencyKinds: [AgencyKind]
        var reviewRequired: Bool
        var acknowledgeWithinMinutes: Int?
        var acceptWithinMinutes: Int?
        var ruleSetName, ruleSetRevision: String
    }

    final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage
    /// Fields of the call that were not given and took their defaults.
    public var assumed: [String]

    init(storage: Storage, assumed: [String]) {
        self.storage = storage
        self.assumed = assumed
    }

    public init(ruleID: String, ruleTitle: String, rationale: String, citation: String, callerAdvice: String,
                outcome: Outcome, agencyKinds: [AgencyKind], reviewRequired: Bool,
                acknowledgeWithinMinutes: Int? = nil, acceptWithinMinutes: Int? = nil, assumed: [String] = [],
                ruleSetName: String, ruleSetRevision: String) {
        storage = Storage(Fields(ruleID: ruleID, ruleTitle: ruleTitle, rationale: rationale, citation: citation,
                                 callerAdvice: callerAdvice, outcome: outcome, agencyKinds: agencyKinds,
                                 reviewRequired: reviewRequired, acknowledgeWithinMinutes: acknowledgeWithinMinutes,
                                 acceptWithinMinutes: acceptWithinMinutes, ruleSetName: ruleSetName,
                                 ruleSetRevision: ruleSetRevision))
        self.assumed = assumed
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = storage.fields
        change(&fields)
        storage = Storage(fields)
    }

    public var ruleID: String { get { storage.fields.ruleID } set { update { $0.ruleID = newValue } } }
    public var ruleTitle: String { get { storage.fields.ruleTitle } set { update { $0.ruleTitle = newValue } } }
    /// Read aloud by the call handler: why police do or do not attend.
    public var rationale: String { get { storage.fields.rationale } set { update { $0.rationale = newValue } } }
    public var citation: String { get { storage.fields.citation } set { update { $0.citation = newValue } } }
    public var callerAdvice: String { get { storage.fields.callerAdvice } set { update { $0.callerAdvice = newValue } } }
    public var outcome: Outcome { get { storage.fields.outcome } set { update { $0.outcome = newValue } } }
    /// True exactly for `police_attend` and `joint_response`, so it can never disagree with the outcome.
    public var policeAttend: Bool { storage.fields.outcome.policeAttend }
    public var agencyKinds: [AgencyKind] { get { storage.fields.agencyKinds } set { update { $0.agencyKinds = newValue } } }
    public var reviewRequired: Bool { get { storage.fields.reviewRequired } set { update { $0.reviewRequired = newValue } } }
    /// The rule's deadline overrides; nil means the receiving agency's own.
    public var acknowledgeWithinMinutes: Int? { get { storage.fields.acknowledgeWithinMinutes } set { update { $0.acknowledgeWithinMinutes = newValue } } }
    public var acceptWithinMinutes: Int? { get { storage.fields.acceptWithinMinutes } set { update { $0.acceptWithinMinutes = newValue } } }
    public var ruleSetName: String { get { storage.fields.ruleSetName } set { update { $0.ruleSetName = newValue } } }
    public var ruleSetRevision: String { get { storage.fields.ruleSetRevision } set { update { $0.ruleSetRevision = newValue } } }

    public static func == (lhs: Decision, rhs: Decision) -> Bool {
        lhs.assumed == rhs.assumed && (lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
        hasher.combine(assumed)
    }

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
