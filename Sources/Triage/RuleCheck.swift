import Foundation

/// `rcrp-router check-rules [PATH]`: validate a rule set, prove its invariants, run the fixtures
/// in `tests/` beside it, and end with `N passed, M failed`.
public enum RuleCheck {
    /// Checks the rule set at `path` (a rule file, or a directory holding one) and its fixtures
    /// (`<directory of the rule file>/tests/*.yaml`), printing one line at a time through `print`.
    /// Passed counts fixtures that passed; failed counts every load problem, failing fixture and
    /// rule that no fixture exercises. Returns true only when nothing failed.
    public static func run(path: String, print: (String) -> Void) -> Bool {
        var passed = 0
        var failed = 0
        func finish() -> Bool {
            print("\(passed) passed, \(failed) failed")
            return failed == 0 && passed > 0
        }

        let file: String
        do {
            file = try RuleSetLoader.ruleFile(at: path)
        } catch {
            for problem in error.problems { print("FAIL \(problem)") }
            failed += error.problems.count
            return finish()
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            print("FAIL \(file): cannot be read")
            failed += 1
            return finish()
        }
        let validated: RuleSetLoader.Validated
        switch RuleSetLoader.validateWithStatistics(yaml: text, file: file) {
        case .success(let result):
            validated = result
        case .failure(let error):
            print("rule set \(file) refused:")
            for problem in error.problems { print("FAIL \(problem)") }
            failed += error.problems.count
            return finish()
        }
        let ruleSet = validated.ruleSet
        print("rule set \(ruleSet.name) \(ruleSet.version) (\(ruleSet.revision)): \(ruleSet.rules.count) rules")
        print("proved: no gaps, no dead rules, \(ruleSet.invariants.count + 1) invariants hold over "
              + "\(Int(validated.combinations)) classes of call (\(validated.regions) regions)")

        let fixtures = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("tests")
        let report: FixtureReport
        do {
            report = try FixtureRunner.run(ruleSet, fixtures: fixtures)
        } catch {
            print("FAIL \(error)")
            failed += 1
            return finish()
        }
        passed += report.passed
        for failure in report.failures { print("FAIL \(failure)") }
        failed += report.failed
        for rule in report.uncoveredRules {
            let line = ruleSet.rules.first { $0.id == rule }?.line ?? 0
            print("FAIL \(file):\(line): rule '\(rule)': no passing fixture is decided by this rule; add one to \(fixtures)")
        }
        failed += report.uncoveredRules.count
        return finish()
    }
}
