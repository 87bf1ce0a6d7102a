/// A validated rule set: the only way to get one is `RuleSetLoader`, which refuses any set with a
/// gap, a rule that can never match, or a broken invariant.
public struct RuleSet: Sendable {
    public let name: String
    /// The human version label from the file, e.g. "2026.11".
    public let version: String
    /// "sha256:<hex>" of the canonical content: formatting and comments do not change it.
    public let revision: String
    /// Highest priority first.
    public let rules: [Rule]
    /// Declared in the file, plus the built-in ones no file can drop.
    public let invariants: [Invariant]

    private let program: RuleProgram
    /// The same conditions, laid out for explaining why a rule did not match.
    private let failurePlan: FailurePlan
    /// Per call type (by code), the rules that can match a call of that type, in priority order.
    private let candidates: [[Int]]
    /// Per rule, the shared part of its decisions.
    private let templates: [Decision.Storage]

    init(name: String, version: String, revision: String, rules: [Rule], invariants: [Invariant]) {
        self.name = name
        self.version = version
        self.revision = revision
        self.rules = rules
        self.invariants = invariants
        program = RuleProgram(conditions: rules.map(\.when))
        failurePlan = FailurePlan(conditions: rules.map(\.when))
        candidates = CallType.allCases.map { type in
            rules.indices.filter { rules[$0].when.canHold(callType: type) }
        }
        templates = rules.map { rule in
            Decision.Storage(Decision.Fields(
                ruleID: rule.id, ruleTitle: rule.title, rationale: rule.rationale, citation: rule.citation,
                callerAdvice: rule.callerAdvice, outcome: rule.outcome, agencyKinds: rule.agencyKinds,
                reviewRequired: rule.reviewRequired, acknowledgeWithinMinutes: rule.acknowledgeWithinMinutes,
                acceptWithinMinutes: rule.acceptWithinMinutes, ruleSetName: name, ruleSetRevision: revision))
        }
    }

    /// The index (into `rules`) of the rule that decides `call`.
    @inline(__always) func decidingRule(_ call: Call) -> Int? {
        for index in candidates[call.callType.code] where program.holds(rule: index, call) {
            return index
        }
        return nil
    }

    /// Decides a call: the highest-priority rule whose condition holds. Pure; same inputs, same answer.
    public func decide(_ call: Call) -> Decision {
        guard let index = decidingRule(call) else { return noRuleDecision(call) }
        return Decision(storage: templates[index], assumed: call.assumed)
    }

    /// The decision, and for every rule of higher priority the first condition that did not hold.
    public func explain(_ call: Call) -> Explanation {
        let deciding = decidingRule(call)
        let decision = deciding.map { Decision(storage: templates[$0], assumed: call.assumed) } ?? noRuleDecision(call)
        let count = deciding ?? rules.count
        var notMatched: [Explanation.NotMatched] = []
        notMatched.reserveCapacity(count)
        rules.withUnsafeBufferPointer { rules in
            for index in 0..<count {
                let explained: Explanation.NotMatched
                // A failure's node belongs to one rule and has one text; its field can vary
                // (an `any` shows its first part's), so the key is the pair.
                if let failure = failurePlan.firstFailure(rule: index, call) {
                    explained = Explanation.NotMatched(
                        ruleID: rules[index].id, condition: failurePlan.text(failure.node),
                        field: failure.field?.path ?? "", value: failure.field.map { $0.describe($0.code(in: call)) } ?? "",
                        textKey: failure.node * (Field.allCases.count + 1) + (failure.field.map { $0.rawValue + 1 } ?? 0))
                } else {
                    explained = Explanation.NotMatched(ruleID: rules[index].id, condition: rules[index].condition,
                                                       field: "", value: "", textKey: -1 - index)
                }
                notMatched.append(explained)
            }
        }
        return Explanation(decision: decision, notMatched: notMatched)
    }

    /// Validation proves that some rule matches every call, so this is unreachable; should it
    /// ever be reached, send police and ask for review rather than leave a person without help.
    private func noRuleDecision(_ call: Call) -> Decision {
        Decision(ruleID: "no-rule-matched", ruleTitle: "No rule matched",
                 rationale: "No rule in the rule set matched this call, so police attend until a person reviews it.",
                 citation: "rcrp-router safe default", callerAdvice: "Tell the caller police are dealing with the call.",
                 outcome: .policeAttend, agencyKinds: [], reviewRequired: true,
                 acknowledgeWithinMinutes: nil, acceptWithinMinutes: nil, assumed: call.assumed,
                 ruleSetName: name, ruleSetRevision: revision)
    }
}

extension Condition {
    /// False only when no call of `callType` can satisfy the condition (used to skip rules early).
    func canHold(callType: CallType) -> Bool {
        evaluate { $0 == .callType ? callType.code : nil } != false
    }

    /// Kleene evaluation given some fields' codes: nil when the result depends on the others.
    func evaluate(_ known: (Field) -> Int?) -> Bool? {
        switch self {
        case .test(let predicate):
            guard let code = known(predicate.field) else { return nil }
            return predicate.holds(code)
        case .all(let parts):
            var result: Bool? = true
            for part in parts {
                switch part.evaluate(known) {
                case false: return false
                case nil: result = nil
                default: break
                }
            }
            return result
        case .any(let parts):
            var result: Bool? = false
            for part in parts {
                switch part.evaluate(known) {
                case true: return true
                case nil: result = nil
                default: break
                }
            }
            return result
        case .not(let inner):
            return inner.evaluate(known).map { !$0 }
        }
    }
}
