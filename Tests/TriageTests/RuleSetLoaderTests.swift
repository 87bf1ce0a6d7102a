import Foundation
import Testing
@testable import Triage

func lineNumber(of text: String, in yaml: String) -> Int {
    (yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(text) } ?? -1) + 1
}

@Suite struct RuleSetLoaderTests {
    func refused(_ yaml: String, file: String = "sample.yaml") -> [RuleProblem] {
        switch RuleSetLoader.validate(yaml: yaml, file: file) {
        case .success: return []
        case .failure(let error): return error.problems
        }
    }

    @Test func aCompleteSafeRuleSetLoadsAndDecides() throws {
        let ruleSet = try RuleSetLoader.load(yaml: RuleSetSamples.minimal(), file: "sample.yaml")
        #expect(ruleSet.rules.map(\.id) == ["threshold", "child", "fallback"])
        var call = Call(incidentRef: "T-1", callType: .walkOut, caller: Caller(type: .public), location: Location(area: "E1"))
        #expect(ruleSet.decide(call).ruleID == "fallback")
        call.subject.age = 17
        #expect(ruleSet.decide(call).ruleID == "child")
        call.subject.age = 18
        #expect(ruleSet.decide(call).ruleID == "fallback")
        call.risk.crime = .occurred
        let decision = ruleSet.decide(call)
        #expect(decision.ruleID == "threshold")
        #expect(decision.policeAttend)
        #expect(decision.ruleSetRevision == ruleSet.revision)
        #expect(ruleSet.revision.hasPrefix("sha256:") && ruleSet.revision.count == 71)
    }

    @Test func enumerationCodesMatchDeclarationOrder() {
        func check<E: CodedEnumeration>(_ type: E.Type) {
            #expect(MemoryLayout<E>.size == 1)
            for (index, value) in E.allCases.enumerated() { #expect(value.code == index, "\(value)") }
        }
        check(CallType.self); check(CallerType.self); check(MHAStatus.self); check(Setting.self)
        check(Immediacy.self); check(Crime.self); check(Intelligence.self); check(PartnerStep.self)
        check(Outcome.self); check(AgencyKind.self)
    }

    @Test func aTypoedFieldIsRefusedWithFileLineAndRule() {
        let yaml = RuleSetSamples.minimal(replacing: ["risk.child_at_risk: true": "risk.child_at_rsk: true"])
        let problems = refused(yaml)
        #expect(problems.count == 1)
        let problem = problems.first
        #expect(problem?.file == "sample.yaml")
        #expect(problem?.line == lineNumber(of: "risk.child_at_rsk", in: yaml))
        #expect(problem?.ruleID == "threshold")
        #expect(problem?.message.contains("unknown field 'risk.child_at_rsk'") == true)
        #expect(problem?.message.contains("did you mean 'risk.child_at_risk'") == true)
    }
}
