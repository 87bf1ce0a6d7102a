import Foundation
import Testing
@testable import Triage

/// Rule sets that must be refused, each with a message that names the place.
@Suite struct RuleSetValidationTests {
    func problems(_ yaml: String) -> [RuleProblem] {
        switch RuleSetLoader.validate(yaml: yaml, file: "bad.yaml") {
        case .success: return []
        case .failure(let error): return error.problems
        }
    }

    /// A rule that keeps the threshold out of `fallback`'s reach is removed: calls fall through.
    @Test func aGapIsRefusedWithACounterexample() throws {
        let yaml = RuleSetSamples.minimal(replacing: ["when: always": "when: {call_type: concern_for_welfare}"])
        let found = problems(yaml)
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.message.hasPrefix("gap:") })
        let gap = try #require(found.first)
        #expect(gap.file == "bad.yaml")
        #expect(gap.line == lineNumber(of: "rules:", in: yaml))
        let call = try #require(gap.counterexample)
        #expect(call.callType != .concernForWelfare)
        #expect(!RuleSetSamples.minimalConditions(yaml).contains { $0.holds(call) })
        #expect(gap.message.contains("call_type: walk_out") || gap.message.contains("call_type: awol"))
    }

    @Test func aShadowedRuleIsRefusedNamingTheRuleThatWins() throws {
        let extra = """
          - id: adult-walk-out
            title: Unreachable
            priority: 5
            when: {call_type: walk_out}
            outcome: handoff
            agency_kinds: [acute_trust]
            rationale: The hospital looks for its patient.
            citation: NPA 2023
            caller_advice: The hospital will act; call 999 again if things change.
        """
        let yaml = RuleSetSamples.minimal(extraRules: extra)
        let found = problems(yaml)
        #expect(found.count == 1)
        let problem = try #require(found.first)
        #expect(problem.ruleID == "adult-walk-out")
        #expect(problem.line == lineNumber(of: "- id: adult-walk-out", in: yaml))
        #expect(problem.message.contains("shadowed"))
        #expect(problem.message.contains("'fallback'"))
    }

    @Test func aConditionThatCannotHoldIsRefused() throws {
        let extra = """
          - id: impossible
            title: Never
            priority: 60
            when: {all: [subject.age < 10, subject.age > 20]}
            outcome: advice_only
            agency_kinds: []
            rationale: Never.
            citation: none
            caller_advice: Never.
        """
        let found = problems(RuleSetSamples.minimal(extraRules: extra))
        #expect(found.count == 1)
        #expect(found.first?.ruleID == "impossible")
        #expect(found.first?.message.contains("cannot hold for any call") == true)
    }

    /// Each built-in invariant, broken by a rule that sends a call police must attend elsewhere.
    @Test(arguments: [
        ("crime-means-police", "risk.crime: occurred"),
        ("present-risk-means-police", "all: [{risk.serious_harm: true}, {risk.immediacy: present}]"),
        ("child-at-risk-means-police", "risk.child_at_risk: true"),
    ])
    func aBrokenInvariantIsRefusedWithACounterexample(invariant: String, condition: String) throws {
        let extra = """
          - id: wrong-way
            title: Wrong
            priority: 1000
            when: {call_type: walk_out, \(condition)}
            outcome: handoff
            agency_kinds: [acute_trust]
            rationale: Wrong.
            citation: none
            caller_advice: The hospital will act; call 999 again if things change.
        """
        let yaml = RuleSetSamples.minimal(extraRules: extra)
        let found = problems(yaml)
        let problem = try #require(found.first { $0.message.contains("breaks invariant '\(invariant)'") })
        #expect(problem.ruleID == "wrong-way")
        #expect(problem.file == "bad.yaml")
        #expect(problem.line == lineNumber(of: "- id: wrong-way", in: yaml))
        let call = try #require(problem.counterexample)
        #expect(call.callType == .walkOut)
        // The counterexample really does reach the offending rule and break the invariant.
        let invariants = RuleSetLoader.builtInInvariants.filter { $0.id == invariant }
        #expect(invariants.first?.when.holds(call) == true)
        #expect(RuleSetSamples.minimalConditions(yaml).first?.holds(call) == true)
    }

    @Test func aNoAttendOutcomeWithoutCallerAdviceBreaksTheRationaleInvariant() throws {
        let yaml = RuleSetSamples.minimal(replacing: ["    caller_advice: Police will not attend; call 999 again if things change.\n": ""])
        let found = problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.ruleID == "fallback")
        #expect(found.first?.message.contains("rationale-on-every-outcome") == true)
        #expect(found.first?.line == lineNumber(of: "- id: fallback", in: yaml))
    }

    @Test func anEmptyRationaleBreaksTheRationaleInvariant() {
        let found = problems(RuleSetSamples.minimal(replacing: ["rationale: Children's social care takes it.": "rationale: \"\""]))
        #expect(found.map(\.ruleID) == ["child"])
        #expect(found.first?.message.contains("the rationale is empty") == true)
    }

    @Test func aDeclaredInvariantIsProved() throws {
        let invariants = """
        invariants:
          - id: children-go-to-childrens-services
            description: A child's call goes to children's social care or police.
            when: subject.age < 18
            require: {agency_kinds_exclude: [adult_social_care]}
          - id: walk-outs-are-never-advice-only
            when: {call_type: walk_out}
            require: {outcome_in: [police_attend, handoff]}
        """
        let yaml = RuleSetSamples.minimal(invariants: invariants)
        let found = problems(yaml)
        #expect(found.count == 1)
        let problem = try #require(found.first)
        #expect(problem.ruleID == "fallback")
        #expect(problem.message.contains("breaks invariant 'walk-outs-are-never-advice-only'"))
        #expect(problem.counterexample?.callType == .walkOut)
        #expect((problem.counterexample?.subject.age ?? 99) >= 18)
    }

    @Test func everySchemaProblemIsReportedAtOnce() {
        let extra = """
          - id: broken
            title: Broken
            priority: 100
            when: {risk.immediacy: now, subject.age: {lt: many}, partner_steps_taken: {contains: searched}}
            outcome: send_police
            agency_kinds: [ambulanse, police]
            rationale: Broken.
            citation: none
            colour: red
          - id: broken
            title: Duplicate id
            priority: 7
            when: always
            outcome: handoff
            agency_kinds: []
            rationale: Duplicate.
            citation: none
            caller_advice: x
            accept_within_minutes: 0
        """
        let yaml = RuleSetSamples.minimal(extraRules: extra)
        let found = problems(yaml)
        let messages = found.map(\.description).joined(separator: "\n")
        #expect(messages.contains("unknown value 'now' for 'risk.immediacy'"))
        #expect(messages.contains("'subject.age' is compared with a whole number"))
        #expect(messages.contains("unknown value 'searched' for 'partner_steps_taken'"))
        #expect(messages.contains("unknown value 'send_police' for 'outcome'"))
        #expect(messages.contains("unknown value 'ambulanse' for 'agency_kinds' (did you mean 'ambulance'?)"))
        #expect(messages.contains("unknown field 'colour' in rule"))
        #expect(messages.contains("'accept_within_minutes' must be between 1 and 1440"))
        #expect(messages.contains("outcome handoff needs at least one agency kind"))
        #expect(messages.contains("duplicate rule id"))
        #expect(messages.contains("duplicate priority 100"))
        #expect(found.allSatisfy { $0.file == "bad.yaml" && $0.line > 0 })
        #expect(found.contains { $0.line == lineNumber(of: "colour: red", in: yaml) && $0.ruleID == "broken" })
    }

    @Test func invalidYAMLIsRefusedWithItsLine() throws {
        let found = problems("name: x\nversion: 1\nrules:\n  - id: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("not valid YAML") == true)
        #expect((found.first?.line ?? 0) >= 4)
    }

    @Test func duplicateKeysAreRefused() {
        let found = problems(RuleSetSamples.minimal(replacing: ["    priority: 10\n": "    priority: 10\n    priority: 11\n"]))
        #expect(found.contains { $0.message.contains("has the key 'priority' twice") && $0.ruleID == "fallback" })
    }

    @Test func aBuiltInInvariantCannotBeRedeclared() {
        let invariants = """
        invariants:
          - id: crime-means-police
            when: {risk.crime: occurring}
            require: {police_attend: true}
        """
        let found = problems(RuleSetSamples.minimal(invariants: invariants))
        #expect(found.contains { $0.message.contains("is built in") })
    }
}

extension RuleSetValidationTests {
    /// Aliases that multiply at every level would expand to millions of nodes; reading stops early.
    @Test func aliasExpansionIsBounded() {
        var yaml = "name: x\nversion: \"1\"\nrules:\n  - id: r\n    title: t\n    priority: 1\n    rationale: r\n    citation: c\n"
        yaml += "    outcome: police_attend\n    agency_kinds: []\n    when:\n      all:\n        - &a0 {call_type: awol}\n"
        for level in 1...3 {
            yaml += "        - &a\(level) {any: [" + Array(repeating: "*a\(level - 1)", count: 30).joined(separator: ", ") + "]}\n"
        }
        let found = problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("expands to more than 20000 mappings and lists") == true)
    }
}
