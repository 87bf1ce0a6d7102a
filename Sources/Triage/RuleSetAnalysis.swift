/// Proves a rule set complete, free of dead rules, and safe, by case-splitting the class space.
///
/// The search fixes one field's class at a time, always one that the highest-priority undecided
/// rule reads, until the region's deciding rule is certain. A region where every rule is false is
/// a gap; a rule that decides no region is shadowed (or can never hold); a region whose decision
/// breaks an invariant is split further on the invariant's own fields until a concrete
/// counterexample is found. Regions stand for every call in them, so the whole input space is
/// covered without visiting each combination of classes.
struct RuleSetAnalysis {
    let rules: [Rule]
    let invariants: [Invariant]
    let file: String
    let rulesLine: Int

    private let space: ClassSpace
    private let ruleTests: [ClassSpace.Test]
    private let invariantTests: [ClassSpace.Test]
    /// Per rule, the invariants its decision does not satisfy (checked only where they apply).
    private let violable: [[Int]]
    private let base: Call

    private(set) var problems: [RuleProblem] = []
    /// Regions the search settled, and the class combinations they stand for.
    private(set) var regions = 0
    private(set) var combinations = 0.0

    private var reachable: [Bool]
    private var gapCount = 0
    private var reportedViolations: Set<[Int]> = []

    static let maximumGapsReported = 5

    init(rules: [Rule], invariants: [Invariant], file: String, rulesLine: Int) {
        self.rules = rules
        self.invariants = invariants
        self.file = file
        self.rulesLine = rulesLine
        let space = ClassSpace(conditions: rules.map(\.when) + invariants.map(\.when))
        self.space = space
        ruleTests = rules.map { space.compile($0.when) }
        invariantTests = invariants.map { space.compile($0.when) }
        violable = rules.map { rule in invariants.indices.filter { !invariants[$0].isSatisfied(by: rule) } }
        reachable = Array(repeating: false, count: rules.count)
        base = Call(incidentRef: "counterexample", callType: .concernForWelfare,
                    caller: Caller(type: .public), location: Location(area: "E00000000"))
    }

    mutating func run() {
        var assignment = Array(repeating: -1, count: Field.allCases.count)
        explore(&assignment, candidates: Array(rules.indices))
        if gapCount > Self.maximumGapsReported {
            problems.append(RuleProblem(file: file, line: rulesLine, message:
                "gap: \(gapCount - Self.maximumGapsReported) more kinds of call match no rule (the first \(Self.maximumGapsReported) are shown)"))
        }
        for index in rules.indices where !reachable[index] {
            reportDeadRule(index)
        }
    }

    private mutating func explore(_ assignment: inout [Int], candidates: [Int]) {
        var live: [Int] = []
        for index in candidates {
            guard let holds = space.evaluate(ruleTests[index], assignment) else {
                live.append(index)
                continue
            }
            guard holds else { continue }
            if live.isEmpty {
                settle(&assignment, decidedBy: index)
                return
            }
            live.append(index)
            break
        }
        guard let first = live.first else {
            reportGap(assignment)
            return
        }
        let field = space.undecidedField(ruleTests[first], assignment)!
        for classIndex in space.classes[field].indices {
            assignment[field] = classIndex
            explore(&assignment, candidates: live)
        }
        assignment[field] = -1
    }

    private mutating func settle(_ assignment: inout [Int], decidedBy index: Int) {
        regions += 1
        combinations += space.combinations(assignment)
        reachable[index] = true
        for invariant in violable[index] where !reportedViolations.contains([invariant, index]) {
            if let witness = witness(invariantTests[invariant], &assignment) {
                reportedViolations.insert([invariant, index])
                reportViolation(invariant: invariant, rule: index, witness: witness)
            }
        }
    }

    /// A region inside `assignment` where `test` certainly holds, if there is one.
    private func witness(_ test: ClassSpace.Test, _ assignment: inout [Int]) -> [Int]? {
        switch space.evaluate(test, assignment) {
        case .some(true): return assignment
        case .some(false): return nil
        case .none:
            let field = space.undecidedField(test, assignment)!
            defer { assignment[field] = -1 }
            for classIndex in space.classes[field].indices {
                assignment[field] = classIndex
                if let found = witness(test, &assignment) { return found }
            }
            return nil
        }
    }

    private mutating func reportGap(_ assignment: [Int]) {
        gapCount += 1
        guard gapCount <= Self.maximumGapsReported else { return }
        let call = space.call(for: assignment, base: base)
        problems.append(RuleProblem(file: file, line: rulesLine, message:
            "gap: no rule matches calls like \(space.describe(assignment, call: call)); every call must get a decision",
            counterexample: call))
    }

    private mutating func reportViolation(invariant: Int, rule: Int, witness: [Int]) {
        let call = space.call(for: witness, base: base)
        let invariant = invariants[invariant], rule = rules[rule]
        problems.append(RuleProblem(file: rule.file, line: rule.line, ruleID: rule.id, message:
            "breaks invariant '\(invariant.id)' (when \(invariant.when.text), require \(invariant.requirementText)): "
            + "for the call \(space.describe(witness, call: call)) it decides \(rule.outcome.rawValue)"
            + (rule.agencyKinds.isEmpty ? "" : " with [\(rule.agencyKinds.map(\.rawValue).joined(separator: ", "))]"),
            counterexample: call))
    }

    /// Says why a rule never decides: its condition cannot hold, or higher rules always win.
    private mutating func reportDeadRule(_ index: Int) {
        var assignment = Array(repeating: -1, count: Field.allCases.count)
        var winners: Set<Int> = []
        collectWinners(of: index, &assignment, into: &winners)
        let rule = rules[index]
        if winners.isEmpty {
            problems.append(RuleProblem(file: rule.file, line: rule.line, ruleID: rule.id, message:
                "can never match: its condition (\(rule.condition)) cannot hold for any call"))
        } else {
            let names = winners.sorted().map { "'\(rules[$0].id)' (line \(rules[$0].line))" }.joined(separator: ", ")
            problems.append(RuleProblem(file: rule.file, line: rule.line, ruleID: rule.id, message:
                "is shadowed and can never match: every call it matches is decided first by higher-priority \(winners.count == 1 ? "rule" : "rules") \(names)"))
        }
    }

    /// The rules that decide the calls matching rule `index`.
    private func collectWinners(of index: Int, _ assignment: inout [Int], into winners: inout Set<Int>) {
        switch space.evaluate(ruleTests[index], assignment) {
        case .some(false): return
        case .none:
            let field = space.undecidedField(ruleTests[index], assignment)!
            for classIndex in space.classes[field].indices {
                assignment[field] = classIndex
                collectWinners(of: index, &assignment, into: &winners)
            }
            assignment[field] = -1
        case .some(true):
            for higher in 0..<index {
                switch space.evaluate(ruleTests[higher], assignment) {
                case .some(true):
                    winners.insert(higher)
                    return
                case .some(false):
                    continue
                case .none:
                    let field = space.undecidedField(ruleTests[higher], assignment)!
                    for classIndex in space.classes[field].indices {
                        assignment[field] = classIndex
                        collectWinners(of: index, &assignment, into: &winners)
                    }
                    assignment[field] = -1
                    return
                }
            }
        }
    }
}
