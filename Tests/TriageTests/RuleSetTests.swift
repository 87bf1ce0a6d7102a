import Digests
import Foundation
import JSON
import Testing
@testable import Triage

@Suite struct RuleSetTests {
    let england = try! RuleSetLoader.load(path: rulesDirectory)

    func call(_ type: CallType, _ caller: CallerType = .public, risk: Risk = Risk(), subject: Subject = Subject()) -> Call {
        Call(incidentRef: "T", callType: type, caller: Caller(type: caller), subject: subject,
             location: Location(area: "E06000031"), risk: risk)
    }

    @Test func theExplanationNamesEachHigherRuleWithItsFirstFailingConditionAndValue() throws {
        let explanation = england.explain(call(.concernForWelfare, risk: Risk(careNeed: true)))
        #expect(explanation.decision.ruleID == "welfare-care-need")
        let ids = england.rules.map(\.id)
        let position = try #require(ids.firstIndex(of: "welfare-care-need"))
        #expect(explanation.notMatched.map(\.ruleID) == Array(ids[..<position]))
        let s136 = try #require(explanation.notMatched.first { $0.ruleID == "s136-police-stay" })
        #expect(s136.condition == "call_type = s136_handover")
        #expect(s136.field == "call_type" && s136.value == "concern_for_welfare")
        let crime = try #require(explanation.notMatched.first { $0.ruleID == "crime" })
        #expect(crime.condition == "risk.crime in [occurring, occurred]")
        #expect(crime.field == "risk.crime" && crime.value == "none")
        let child = try #require(explanation.notMatched.first { $0.ruleID == "welfare-child" })
        #expect(child.condition == "subject.age < 18" && child.value == "not given")
        let json = explanation.json
        #expect(json["matched_rule"]?.stringValue == "welfare-care-need")
        #expect(json["not_matched"]?.arrayValue?.count == position)
        #expect(json["not_matched"]?.arrayValue?.first?["field"]?.stringValue == "call_type")
    }

    @Test func anAnyConditionThatFailsIsShownWholeWithItsFirstField() throws {
        let explanation = england.explain(call(.concernForWelfare))
        let risk = try #require(explanation.notMatched.first { $0.ruleID == "welfare-mental-health-risk" })
        #expect(risk.condition == "risk.threat_to_life is true or risk.serious_harm is true")
        #expect(risk.field == "risk.threat_to_life" && risk.value == "false")
    }

    @Test func theDecisionCarriesRuleTextRevisionAndAssumedFields() throws {
        var welfare = call(.concernForWelfare, risk: Risk(threatToLife: true, immediacy: .future))
        welfare.assumed = ["risk.intelligence_of_harm"]
        let decision = england.decide(welfare)
        #expect(decision.ruleID == "welfare-mental-health-risk")
        #expect(decision.outcome == .handoff && !decision.policeAttend)
        #expect(decision.agencyKinds == [.mentalHealthTrust])
        #expect(decision.rationale.contains("real and immediate risk to the life of a person"))
        #expect(decision.callerAdvice.contains("999"))
        #expect(decision.assumed == ["risk.intelligence_of_harm"])
        #expect(decision.ruleSetName == "rcrp-england" && decision.ruleSetRevision == england.revision)
        let json = decision.json
        #expect(json["rule"]?["id"]?.stringValue == "welfare-mental-health-risk")
        #expect(json["police_attend"]?.boolValue == false)
        #expect(json["assumed"] == .array(["risk.intelligence_of_harm"]))
    }

    @Test func policeAttendIsTrueExactlyForAttendingOutcomes() {
        #expect(Outcome.allCases.filter(\.policeAttend) == [.policeAttend, .jointResponse])
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let decision = england.decide(randomCall(&generator))
            #expect(decision.policeAttend == (decision.outcome == .policeAttend || decision.outcome == .jointResponse))
        }
    }

    @Test func anOverriddenOutcomeCarriesPoliceAttendWithItAndCopiesStayIndependent() {
        let decided = england.decide(call(.concernForWelfare, risk: Risk(careNeed: true)))
        var overridden = decided
        overridden.outcome = .jointResponse
        overridden.agencyKinds = [.adultSocialCare, .ambulance]
        #expect(overridden.policeAttend && !decided.policeAttend)
        #expect(decided.outcome == .handoff && decided.agencyKinds == [.adultSocialCare])
        #expect(overridden != decided)
        #expect(england.decide(call(.concernForWelfare, risk: Risk(careNeed: true))) == decided)
        #expect(Set([decided, england.decide(call(.concernForWelfare, risk: Risk(careNeed: true)))]).count == 1)
    }

    @Test func theRevisionIgnoresFormattingButNotMeaning() throws {
        let original = RuleSetSamples.minimal()
        let reformatted = "# a comment\n" + original
            .replacingOccurrences(of: "rationale: The NPA threshold is met.", with: "rationale: >\n      The NPA threshold\n      is met.")
            .replacingOccurrences(of: "agency_kinds: []\n    rationale: No police", with: "agency_kinds: [ ]\n    rationale: No police")
        let a = try RuleSetLoader.load(yaml: original, file: "a.yaml")
        let b = try RuleSetLoader.load(yaml: reformatted, file: "b.yaml")
        #expect(a.revision == b.revision)
        let reloaded = try RuleSetLoader.load(yaml: original, file: "a.yaml")
        #expect(a.revision == reloaded.revision)
        let changed = try RuleSetLoader.load(yaml: original.replacingOccurrences(of: "subject.age < 18", with: "subject.age < 16"), file: "a.yaml")
        #expect(changed.revision != a.revision)
        let reworded = try RuleSetLoader.load(yaml: original.replacingOccurrences(of: "NPA threshold is met", with: "threshold is met"), file: "a.yaml")
        #expect(reworded.revision != a.revision)
        // Known answer: the revision is SHA-256 of the canonical JSON, so it can be recomputed.
        let canonical = RuleSetLoader.canonicalContent(name: a.name, version: a.version, description: "",
                                                       rules: a.rules, invariants: [])
        #expect(a.revision == "sha256:" + SHA256.hex(canonical.serialized(sortedKeys: true)))
    }

    /// A condition named once with a YAML anchor and reused by alias (as the England set does for
    /// "vulnerable") gives the same rule set as the condition written out each time.
    @Test func aConditionReusedByAliasIsTheSameAsWrittenOut() throws {
        let crime = "- risk.crime: {one_of: [occurring, occurred]}"
        let written = RuleSetSamples.minimal(extraRules: """
          - id: awol-crime
            title: A crime during an absence
            priority: 150
            when:
              all:
                - call_type: awol
                \(crime)
            outcome: police_attend
            agency_kinds: []
            rationale: A crime is police business.
            citation: NPA 2023
        """)
        let first = try #require(written.range(of: crime))
        var aliased = written.replacingCharacters(in: first, with: "- &crime {risk.crime: {one_of: [occurring, occurred]}}")
        let second = try #require(aliased.range(of: crime))
        aliased.replaceSubrange(second, with: "- *crime")
        #expect(!aliased.contains(crime))
        let named = try RuleSetLoader.load(yaml: aliased, file: "named.yaml")
        let plain = try RuleSetLoader.load(yaml: written, file: "plain.yaml")
        #expect(named.revision == plain.revision)
        #expect(named.rules.map(\.when) == plain.rules.map(\.when))
    }

    /// The compiled engine and the reference evaluation agree on many seeded random calls, and
    /// every decision satisfies every invariant the validator proved.
    @Test func theCompiledEngineAgreesWithTheReferenceAndTheProvedInvariants() {
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<5_000 {
            let call = randomCall(&generator)
            let decision = england.decide(call)
            let reference = england.rules.first { $0.when.holds(call) }
            #expect(decision.ruleID == reference?.id)
            for invariant in england.invariants where invariant.when.holds(call) {
                let rule = england.rules.first { $0.id == decision.ruleID }!
                #expect(invariant.isSatisfied(by: rule), "\(invariant.id) \(decision.ruleID) \(call)")
            }
        }
    }

    /// The flat explanation agrees with the reference `Condition.firstFailure` on many seeded
    /// random calls: same rules, same failing parts, fields and values.
    @Test func theExplanationAgreesWithTheReferenceFirstFailure() {
        var generator = SeededGenerator(seed: 0xe4a1)
        for _ in 0..<2_000 {
            let call = randomCall(&generator)
            let explanation = england.explain(call)
            let deciding = england.rules.firstIndex { $0.when.holds(call) } ?? england.rules.count
            #expect(explanation.decision == england.decide(call))
            #expect(explanation.notMatched.count == deciding)
            for (rule, item) in zip(england.rules, explanation.notMatched) {
                let reference = rule.when.firstFailure(call) ?? (rule.condition, "", "")
                #expect(item.ruleID == rule.id)
                #expect(item.condition == reference.condition && item.field == reference.field
                        && item.value == reference.value, "\(rule.id) \(call)")
            }
        }
    }

    /// A text key names one rule id, condition and field (writers serialise those once per
    /// key); a negative key comes with no field and no value.
    @Test func aTextKeyAlwaysComesWithTheSameTexts() {
        var generator = SeededGenerator(seed: 0x7e47)
        var texts: [Int: [String]] = [:]
        for _ in 0..<2_000 {
            for item in england.explain(randomCall(&generator)).notMatched {
                let seen = [item.ruleID, item.condition, item.field]
                #expect(texts[item.textKey, default: seen] == seen, "text key \(item.textKey)")
                texts[item.textKey] = seen
                if item.textKey < 0 { #expect(item.field.isEmpty && item.value.isEmpty) }
            }
        }
        #expect(texts.count > england.rules.count)
    }

    /// An `any` shows its first part's failing field, which can differ from call to call at the
    /// same condition: the text key tells those apart.
    @Test func aTextKeyTellsApartTheFieldsOneConditionShows() throws {
        let extra = """
          - id: violent-crime
            title: Violent crime now
            priority: 90
            when:
              any:
                - all: [{risk.violence: true}, {risk.crime: occurring}]
                - risk.medical_need: true
            outcome: police_attend
            agency_kinds: []
            rationale: R.
            citation: C.
        """
        let rules = try RuleSetLoader.validate(yaml: RuleSetSamples.minimal(extraRules: extra), file: "any.yaml").get()
        var violent = call(.concernForWelfare)
        violent.risk.violence = true
        let items = [call(.concernForWelfare), violent].map { call in
            rules.explain(call).notMatched.first { $0.ruleID == "violent-crime" }!
        }
        #expect(items.map(\.condition) == [items[0].condition, items[0].condition])
        #expect(items.map(\.field) == ["risk.violence", "risk.crime"])
        #expect(items[0].textKey != items[1].textKey)
    }

    func randomCall(_ g: inout SeededGenerator) -> Call {
        var call = call(CallType.allCases.randomElement(using: &g)!, CallerType.allCases.randomElement(using: &g)!)
        call.subject.mhaStatus = MHAStatus.allCases.randomElement(using: &g)!
        call.subject.restrictedPatient = Bool.random(using: &g)
        call.subject.age = Bool.random(using: &g) ? nil : Int.random(in: 0...Field.maximumAge, using: &g)
        call.location.setting = Setting.allCases.randomElement(using: &g)!
        call.risk = Risk(threatToLife: .random(using: &g), seriousHarm: .random(using: &g),
                         immediacy: Immediacy.allCases.randomElement(using: &g)!, crime: Crime.allCases.randomElement(using: &g)!,
                         violence: .random(using: &g), childAtRisk: .random(using: &g), lacksCapacity: .random(using: &g),
                         whereaboutsKnown: .random(using: &g), intelligenceOfHarm: Intelligence.allCases.randomElement(using: &g)!,
                         medicalNeed: .random(using: &g), careNeed: .random(using: &g))
        // Flags mostly off, as in real calls, so the lower rules get exercised too.
        if Int.random(in: 0..<3, using: &g) > 0 { call.risk = Risk(whereaboutsKnown: .random(using: &g), intelligenceOfHarm: call.risk.intelligenceOfHarm) }
        call.partnerStepsTaken = PartnerStep.allCases.filter { _ in Bool.random(using: &g) }
        return call
    }
}

/// The analysis, checked against plain enumeration of every class combination of a small rule set.
@Suite struct RuleSetAnalysisTests {
    @Test func theCaseSplitFindsExactlyTheRulesAndGapsThatBruteForceFinds() throws {
        let extra = """
          - id: walk-out-missing
            title: Walk-out, whereabouts unknown
            priority: 60
            when: {call_type: walk_out, risk.whereabouts_known: false, partner_steps_taken: {contains: searched_premises}}
            outcome: handoff
            agency_kinds: [acute_trust]
            rationale: R.
            citation: C.
            caller_advice: A.
          - id: walk-out-late
            title: Shadowed by fallback
            priority: 5
            when: {call_type: walk_out}
            outcome: handoff
            agency_kinds: [acute_trust]
            rationale: R.
            citation: C.
            caller_advice: A.
        """
        let yaml = RuleSetSamples.minimal(extraRules: extra, replacing: ["when: always": "when: {not: {call_type: awol}}"])
        let conditions = RuleSetSamples.minimalConditions(yaml)
        var parser = RuleFileParser(file: "x")
        let rules = parser.parse(yaml)!.rules.sorted { $0.priority > $1.priority }
        var analysis = RuleSetAnalysis(rules: rules, invariants: RuleSetLoader.builtInInvariants, file: "x", rulesLine: 1)
        analysis.run()
        let gaps = analysis.problems.filter { $0.message.hasPrefix("gap") }

        // Brute force over the class representatives of every field the rules read.
        let space = ClassSpace(conditions: conditions + RuleSetLoader.builtInInvariants.map(\.when))
        let fields = Field.allCases.filter { space.classes[$0.rawValue].count > 1 }
        var counts = Array(repeating: 0, count: rules.count)
        var gapCount = 0
        var assignment = Array(repeating: -1, count: Field.allCases.count)
        func visit(_ index: Int) {
            if index == fields.count {
                let call = space.call(for: assignment, base: Call(incidentRef: "b", callType: .concernForWelfare, caller: Caller(type: .public), location: Location(area: "A")))
                if let winner = conditions.firstIndex(where: { $0.holds(call) }) { counts[winner] += 1 } else { gapCount += 1 }
                return
            }
            for c in space.classes[fields[index].rawValue].indices {
                assignment[fields[index].rawValue] = c
                visit(index + 1)
            }
        }
        visit(0)
        #expect(gapCount > 0)
        #expect(!gaps.isEmpty)
        #expect(gaps.allSatisfy { gap in gap.counterexample.map { c in !conditions.contains { $0.holds(c) } } ?? false })
        #expect(gaps.allSatisfy { $0.counterexample?.callType == .awol })
        let unreachable = analysis.problems.compactMap(\.ruleID)
        #expect(unreachable == ["walk-out-late"])
        #expect(unreachable == rules.indices.filter { counts[$0] == 0 }.map { rules[$0].id })
        #expect(analysis.combinations == Double(counts.reduce(0, +)))
    }
}

extension RuleSetAnalysisTests {
    @Test func aRuleSetTooTangledToProveWithinTheBudgetIsRefused() {
        var parser = RuleFileParser(file: "x")
        let rules = parser.parse(RuleSetSamples.minimal())!.rules.sorted { $0.priority > $1.priority }
        var analysis = RuleSetAnalysis(rules: rules, invariants: RuleSetLoader.builtInInvariants, file: "x", rulesLine: 4, stepBudget: 3)
        analysis.run()
        #expect(analysis.problems.count == 1)
        #expect(analysis.problems.first?.message.contains("too tangled") == true)
        #expect(analysis.problems.first?.line == 4)
    }
}

/// A small deterministic generator so property tests fail the same way every time.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension RuleSetAnalysisTests {
    @Test func tooManyAgeBoundariesAreRefusedNotCrashedOn() {
        let rules = (0..<70).map { n in
            """
              - id: age-\(n)
                title: Age \(n)
                priority: \(1000 + n)
                when: {call_type: awol, subject.age: {lt: \(n + 1)}}
                outcome: handoff
                agency_kinds: [mental_health_trust]
                rationale: R.
                citation: C.
                caller_advice: A.
            """
        }.joined(separator: "\n")
        let found: [RuleProblem]
        switch RuleSetLoader.validate(yaml: RuleSetSamples.minimal(extraRules: rules), file: "ages.yaml") {
        case .success: found = []
        case .failure(let error): found = error.problems
        }
        #expect(found.count == 1, "\(found.prefix(3))")
        #expect(found.first?.message.contains("'subject.age' into more than 64 ranges") == true)
    }
}
