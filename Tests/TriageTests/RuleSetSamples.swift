@testable import Triage

/// Small rule sets written for the tests: a complete, safe one, and helpers to break it.
enum RuleSetSamples {
    static let invariantsNone = ""

    /// A complete and safe rule set over all five call types, small enough to read in a test.
    static func minimal(extraRules: String = "", replacing: [String: String] = [:], invariants: String = "") -> String {
        var text = """
        name: sample
        version: "1"
        \(invariants)
        rules:
          - id: threshold
            title: Threshold met
            priority: 100
            when:
              any:
                - risk.crime: {one_of: [occurring, occurred]}
                - risk.child_at_risk: true
                - all:
                    - any: [{risk.threat_to_life: true}, {risk.serious_harm: true}]
                    - risk.immediacy: present
            outcome: police_attend
            agency_kinds: []
            rationale: The NPA threshold is met.
            citation: NPA 2023
          - id: child
            title: A child
            priority: 50
            when: subject.age < 18
            outcome: handoff
            agency_kinds: [children_social_care]
            rationale: Children's social care takes it.
            citation: Working Together 2023
            caller_advice: Children's social care will call you back; call 999 again if things change.
          - id: fallback
            title: Everything else
            priority: 10
            when: always
            outcome: advice_only
            agency_kinds: []
            rationale: No police power or duty is engaged.
            citation: NPA 2023
            caller_advice: Police will not attend; call 999 again if things change.
        \(extraRules)
        """
        for (old, new) in replacing {
            precondition(text.contains(old), "sample does not contain \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }
}

extension RuleSetSamples {
    /// The conditions of a sample rule set's rules in priority order, parsed without validation.
    static func minimalConditions(_ yaml: String) -> [Condition] {
        var parser = RuleFileParser(file: "sample.yaml")
        return (parser.parse(yaml)?.rules ?? []).sorted { $0.priority > $1.priority }.map(\.when)
    }
}
