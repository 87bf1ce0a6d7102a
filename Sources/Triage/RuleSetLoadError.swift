/// One thing wrong with a rule file, located so that its author can go straight to it.
public struct RuleProblem: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when the problem belongs to the whole file (or a built-in invariant).
    public let line: Int
    public let ruleID: String?
    public let message: String
    /// For gaps and broken invariants: a call that shows the problem.
    public let counterexample: Call?

    public init(file: String, line: Int, ruleID: String? = nil, message: String, counterexample: Call? = nil) {
        self.file = file
        self.line = line
        self.ruleID = ruleID
        self.message = message
        self.counterexample = counterexample
    }

    /// `file:line: rule 'id': message` — the shape compilers use, so editors can jump to it.
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        let rule = ruleID.map { "rule '\($0)': " } ?? ""
        return "\(place): \(rule)\(message)"
    }
}

/// A rule set was refused: every problem found, not just the first. Nothing of it was loaded.
public struct RuleSetLoadError: Error, Sendable, CustomStringConvertible {
    public let problems: [RuleProblem]

    public init(problems: [RuleProblem]) { self.problems = problems }

    public var description: String {
        "rule set refused (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}
