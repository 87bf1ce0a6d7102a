/// One rule of a rule set: when its condition holds and no higher-priority rule's does, it decides.
public struct Rule: Sendable, Hashable {
    public let id: String
    public let title: String
    /// Unique within the rule set; the highest-priority matching rule decides.
    public let priority: Int
    public let outcome: Outcome
    public let agencyKinds: [AgencyKind]
    /// Read aloud by the call handler: why police do or do not attend.
    public let rationale: String
    public let citation: String
    /// What to tell the caller; never empty when police do not attend.
    public let callerAdvice: String
    public let reviewRequired: Bool
    public let acknowledgeWithinMinutes: Int?
    public let acceptWithinMinutes: Int?
    /// The `when` condition as canonical text.
    public var condition: String { when.text }
    /// Where the rule is written (file and line), for messages a rule author acts on.
    public let file: String
    public let line: Int

    let when: Condition
}

/// A safety property declared in the rule file (or built in) and proved at load over every
/// class of calls: whenever `when` holds, the decision must satisfy the requirement.
public struct Invariant: Sendable, Hashable {
    public let id: String
    public let description: String
    public let requirePoliceAttend: Bool?
    public let requireOutcomeIn: [Outcome]?
    public let requireAgencyKinds: [AgencyKind]
    public let forbidAgencyKinds: [AgencyKind]
    public let file: String
    public let line: Int
    let when: Condition

    /// Whether a decision by `rule` satisfies the requirement.
    func isSatisfied(by rule: Rule) -> Bool {
        if let police = requirePoliceAttend, rule.outcome.policeAttend != police { return false }
        if let outcomes = requireOutcomeIn, !outcomes.contains(rule.outcome) { return false }
        if !requireAgencyKinds.allSatisfy(rule.agencyKinds.contains) { return false }
        if forbidAgencyKinds.contains(where: rule.agencyKinds.contains) { return false }
        return true
    }

    var requirementText: String {
        var parts: [String] = []
        if let police = requirePoliceAttend { parts.append("police_attend: \(police)") }
        if let outcomes = requireOutcomeIn { parts.append("outcome_in: [\(outcomes.map(\.rawValue).joined(separator: ", "))]") }
        if !requireAgencyKinds.isEmpty { parts.append("agency_kinds_include: [\(requireAgencyKinds.map(\.rawValue).joined(separator: ", "))]") }
        if !forbidAgencyKinds.isEmpty { parts.append("agency_kinds_exclude: [\(forbidAgencyKinds.map(\.rawValue).joined(separator: ", "))]") }
        return parts.joined(separator: ", ")
    }
}
