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
    private var reportedGaps: Set<[Int]> = []
    private var reportedViolations: Set<[Int]> = []

    static let maximumGapsReported = 5
    /// Steps of the case split allowed before the rule set is refused as too tangled to prove;
    /// the England set needs a few thousand. Keeps a reload bounded in time whatever a file says.
    static let defaultStepBudget = 2_000_000
    let stepBudget: Int
    private var steps = 0
    private var exhausted: Bool { steps > stepBudget }

    init(rules: [Rule], invariants: [Invariant], file: String, rulesLine: Int, stepBudget: Int = defaultStepBudget) {
        self.stepBudget = stepBudget
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
        if let field = space.overflowingField {
            problems = [RuleProblem(file: file, line: rulesLine, message:
                "the conditions split '\(field.path)' into more than 64 ranges; use fewer distinct boundaries")]
            return
        }
        var assignment = Array(repeating: -1, count: Field.allCases.count)
        explore(&assignment, candidates: Array(rules.indices))
        if exhausted {
            problems = [RuleProblem(file: file, line: rulesLine, message:
                "the rule set is too tangled to prove complete and safe within \(stepBudget) steps; "
                + "give each rule a call_type and fewer alternatives (any) in its condition")]
            return
        }
        if gapCount > Self.maximumGapsReported {
            problems.append(RuleProblem(file: file, line: rulesLine, message:
                "gap: \(gapCount - Self.maximumGapsReported) more kinds of call match no rule (the first \(Self.maximumGapsReported) are shown)"))
        }
        for index in rules.indices where !reachable[index] {
            reportDeadRule(index)
        }
        if exhausted {
            problems.append(RuleProblem(file: file, line: rulesLine, message:
                "the rule set is too tangled to explain its dead rules within \(stepBudget) steps"))
        }
    }

    private mutating func explore(_ assignment: inout [Int], candidates: [Int]) {
        steps += 1
        guard !exhausted else { return }
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
    private mutating func witness(_ test: ClassSpace.Test, _ assignment: inout [Int]) -> [Int]? {
        steps += 1
        guard !exhausted else { return nil }
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
        // Widen the region to the fields that matter, so one message stands for one kind of call.
        let general = generalize(assignment) { candidate in
            ruleTests.allSatisfy { space.evaluate($0, candidate) == false }
        }
        guard reportedGaps.insert(general).inserted else { return }
        gapCount += 1
        guard gapCount <= Self.maximumGapsReported else { return }
        let call = space.call(for: general, base: base)
        problems.append(RuleProblem(file: file, line: rulesLine, message:
            "gap: no rule matches calls like \(space.describe(general, call: call)); every call must get a decision",
            counterexample: call))
    }

    /// Frees every field of `assignment` that `stillHolds` does not need, last fixed first.
    private func generalize(_ assignment: [Int], _ stillHolds: ([Int]) -> Bool) -> [Int] {
        var general = assignment
        for field in Field.allCases.reversed() where general[field.rawValue] >= 0 {
            let kept = general[field.rawValue]
            general[field.rawValue] = -1
            if !stillHolds(general) { general[field.rawValue] = kept }
        }
        return general
    }

    private mutating func reportViolation(invariant invariantIndex: Int, rule ruleIndex: Int, witness found: [Int]) {
        let witness = generalize(found) { candidate in
            space.evaluate(invariantTests[invariantIndex], candidate) == true
                && space.evaluate(ruleTests[ruleIndex], candidate) == true
                && (0..<ruleIndex).allSatisfy { space.evaluate(ruleTests[$0], candidate) == false }
        }
        let call = space.call(for: witness, base: base)
        let invariant = invariants[invariantIndex], rule = rules[ruleIndex]
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
            // Nearest first: the rule just above is usually the one the author meant to beat.
            let nearest = winners.sorted(by: >)
            var names = nearest.prefix(4).map { "'\(rules[$0].id)' (line \(rules[$0].line))" }.joined(separator: ", ")
            if nearest.count > 4 { names += " and \(nearest.count - 4) more" }
            problems.append(RuleProblem(file: rule.file, line: rule.line, ruleID: rule.id, message:
                "is shadowed and can never match: every call it matches is decided first by higher-priority \(winners.count == 1 ? "rule" : "rules") \(names)"))
        }
    }

    /// The rules that decide the calls matching rule `index`.
    private mutating func collectWinners(of index: Int, _ assignment: inout [Int], into winners: inout Set<Int>) {
        steps += 1
        guard !exhausted else { return }
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
