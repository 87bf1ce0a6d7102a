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
    }

    public let decision: Decision
    /// In priority order, highest first.
    public let notMatched: [NotMatched]
}
