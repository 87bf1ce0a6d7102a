import Foundation
import Testing
@testable import Triage

@Suite struct RuleCheckTests {
    /// A throwaway rules directory: the rule file and its tests/ folder.
    func directory(rules: String, fixtures: String?) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rule-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tests"), withIntermediateDirectories: true)
        try rules.write(to: root.appendingPathComponent("sample.yaml"), atomically: true, encoding: .utf8)
        if let fixtures {
            try fixtures.write(to: root.appendingPathComponent("tests/sample.yaml"), atomically: true, encoding: .utf8)
        }
        return root.path
    }

    static let fixtures = """
    - name: crime-now
      call: {incident_ref: X1, call_type: concern_for_welfare, caller: {type: public}, location: {area: A}, risk: {crime: occurring}}
      expect: {rule: threshold, police_attend: true}
    - name: child-expected-wrongly
      call: {incident_ref: X2, call_type: walk_out, caller: {type: public}, subject: {age: 18}, location: {area: A}, risk: {}}
      expect: {rule: child, outcome_in: [handoff]}
    - name: typo-in-call
      call: {incident_ref: X3, call_type: walk_out, caller: {type: public}, location: {area: A}, risk: {threat_to_lfe: true}}
      expect: {police_attend: false}
    """

    @Test func failuresShowExpectedAndActualAndTheSummaryCountsThem() throws {
        let path = try directory(rules: RuleSetSamples.minimal(), fixtures: Self.fixtures)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        let ok = RuleCheck.run(path: path) { lines.append($0) }
        #expect(!ok)
        let output = lines.joined(separator: "\n")
        #expect(output.contains("fixture 'child-expected-wrongly': expected rule 'child', outcome in [handoff]; got rule 'fallback' (outcome advice_only"))
        #expect(output.contains("fixture 'typo-in-call': expected a valid call; got an invalid call: risk.threat_to_lfe: unknown field"))
        // 'child' and 'fallback' decided no passing fixture.
        #expect(output.contains("rule 'child': no passing fixture"))
        #expect(output.contains("rule 'fallback': no passing fixture"))
        #expect(lines.last == "1 passed, 4 failed")
    }

    @Test func aRefusedRuleSetPrintsEveryProblemAndFails() throws {
        let path = try directory(rules: RuleSetSamples.minimal(replacing: ["risk.child_at_risk: true": "risk.child_at_rsk: true"]),
                                 fixtures: Self.fixtures)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        #expect(!RuleCheck.run(path: path) { lines.append($0) })
        #expect(lines.contains { $0.hasPrefix("FAIL ") && $0.contains("sample.yaml:") && $0.contains("rule 'threshold': unknown field 'risk.child_at_rsk'") })
        #expect(lines.last == "0 passed, 1 failed")
    }

    @Test func aRuleSetWithoutFixturesFails() throws {
        let path = try directory(rules: RuleSetSamples.minimal(), fixtures: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        #expect(!RuleCheck.run(path: path) { lines.append($0) })
        #expect(lines.last == "0 passed, 1 failed")
    }

    @Test func aMissingPathFails() {
        var lines: [String] = []
        #expect(!RuleCheck.run(path: "/nonexistent/rules") { lines.append($0) })
        #expect(lines.first?.contains("no such file or directory") == true)
        #expect(lines.last == "0 passed, 1 failed")
    }

    @Test func aFixtureNamingAnUnknownRuleIsAFailure() throws {
        let fixtures = """
        - name: wrong-rule-name
          call: {incident_ref: X1, call_type: walk_out, caller: {type: public}, location: {area: A}, risk: {}}
          expect: {rule: fallbak}
        """
        let path = try directory(rules: RuleSetSamples.minimal(), fixtures: fixtures)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ruleSet = try RuleSetLoader.load(path: path)
        let report = try FixtureRunner.run(ruleSet, fixtures: (path as NSString).appendingPathComponent("tests"))
        #expect(report.passed == 0)
        #expect(report.failures.first?.actual.contains("'fallbak', which is not a rule of sample (did you mean 'fallback'?)") == true)
    }
}

extension RuleCheckTests {
    @Test func aDirectoryWithTwoRuleFilesIsRefused() throws {
        let path = try directory(rules: RuleSetSamples.minimal(), fixtures: Self.fixtures)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try RuleSetSamples.minimal().write(toFile: (path as NSString).appendingPathComponent("second.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: RuleSetLoadError.self) { try RuleSetLoader.load(path: path) }
        do {
            _ = try RuleSetLoader.load(path: path)
        } catch {
            #expect(error.problems.first?.message.contains("2 rule files (sample.yaml, second.yaml)") == true)
        }
    }

    @Test func aBrokenFixtureFileIsAFailureWithItsLine() throws {
        let path = try directory(rules: RuleSetSamples.minimal(), fixtures: "- name: x\n  call: {incident_ref: [\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try FixtureRunner.run(try RuleSetLoader.load(path: path), fixtures: (path as NSString).appendingPathComponent("tests"))
        #expect(report.passed == 0 && report.failed == 1)
        #expect(report.failures.first?.actual.hasPrefix("invalid YAML") == true)
        #expect((report.failures.first?.line ?? 0) >= 2)
    }
}
