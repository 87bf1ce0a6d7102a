import JSON

/// Why a call got its decision: the rule that matched, and why each rule above it did not.
public struct Explanation: Sendable, Hashable {
    /// A higher-priority rule that did not match, with the first condition that failed.
    public struct NotMatched: Sendable, Hashable {
        public let ruleID: String
        /// The failing part of the condition, as text (e.g. `risk.crime in [occurring, occurred]`).
        public let condition: String
        /// The field it read and the call's value there (e.g. `risk.crime`, `none`).
        public let field: String
        public let value: String
        /// Within the rule set that explained it, the same key always comes with the same
        /// `ruleID`, `condition` and `field` (and, when negative, an empty `value`): writers may
        /// serialise those once per key.
        public let textKey: Int
    }

    public let decision: Decision
    /// In priority order, highest first.
    public let notMatched: [NotMatched]
}


extension Explanation {
    /// The `explanation` member of a `POST /v1/triage` answer.
    public var json: JSONValue {
        .object([
            "matched_rule": .string(decision.ruleID),
            "not_matched": .array(notMatched.map { item in
                .object(["rule_id": .string(item.ruleID), "condition": .string(item.condition),
                         "field": .string(item.field), "value": .string(item.value)])
            }),
        ])
    }
}
