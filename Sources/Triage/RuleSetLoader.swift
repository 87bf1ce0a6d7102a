import Digests
import Foundation
import JSON

/// Loads a rule set from YAML and refuses it whole unless every check passes.
public enum RuleSetLoader {
    /// The invariants every rule set must satisfy whatever its file says: a force may add
    /// invariants but cannot weaken these. "rationale-on-every-outcome" is checked per rule.
    static let builtInInvariantsYAML = """
    - id: crime-means-police
      description: Police attend to investigate a crime that has occurred or is occurring.
      when: {risk.crime: {one_of: [occurring, occurred]}}
      require: {police_attend: true}
    - id: present-risk-means-police
      description: Police attend when there is a real and immediate risk to life or of serious harm.
      when:
        all:
          - any: [{risk.threat_to_life: true}, {risk.serious_harm: true}]
          - risk.immediacy: present
      require: {police_attend: true}
    - id: child-at-risk-means-police
      description: Police attend when a child is at risk of significant harm.
      when: {risk.child_at_risk: true}
      require: {police_attend: true}
    """
    static let rationaleInvariantID = "rationale-on-every-outcome"
    static let builtInFile = "built-in invariants"

    static let builtInInvariants: [Invariant] = {
        var parser = RuleFileParser(file: builtInFile)
        let draft = parser.parse("name: built-in\nversion: \"1\"\nrules: []\ninvariants:\n" + builtInInvariantsYAML.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        precondition(parser.reader.problems.isEmpty, "built-in invariants: \(parser.reader.problems)")
        return draft!.invariants
    }()

    /// Loads a rule file, or the one rule file (`*.yaml` / `*.yml`) in a directory.
    public static func load(path: String) throws(RuleSetLoadError) -> RuleSet {
        let file = try ruleFile(at: path)
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw RuleSetLoadError(problems: [RuleProblem(file: file, line: 0, message: "cannot read the file: \(error.localizedDescription)")])
        }
        return try load(yaml: text, file: file)
    }

    /// The rule file that `path` names: itself, or the single YAML file directly inside it.
    public static func ruleFile(at path: String) throws(RuleSetLoadError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RuleSetLoadError(problems: [RuleProblem(file: path, line: 0, message: "no such file or directory")])
        }
        guard isDirectory.boolValue else { return path }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard names.count == 1 else {
            throw RuleSetLoadError(problems: [RuleProblem(file: path, line: 0, message: names.isEmpty
                ? "the directory holds no rule file (*.yaml)"
                : "the directory holds \(names.count) rule files (\(names.joined(separator: ", "))); keep one rule set per directory")])
        }
        return (path as NSString).appendingPathComponent(names[0])
    }

    /// Parses and validates a rule set. `file` names it in messages.
    public static func load(yaml: String, file: String) throws(RuleSetLoadError) -> RuleSet {
        try validate(yaml: yaml, file: file).get()
    }

    /// The rule set with statistics about the proof, or every problem found.
    static func validate(yaml: String, file: String) -> Result<RuleSet, RuleSetLoadError> {
        validateWithStatistics(yaml: yaml, file: file).map(\.ruleSet)
    }

    struct Validated {
        let ruleSet: RuleSet
        let regions: Int
        let combinations: Double
    }

    static func validateWithStatistics(yaml: String, file: String) -> Result<Validated, RuleSetLoadError> {
        var parser = RuleFileParser(file: file)
        guard let draft = parser.parse(yaml) else { return .failure(RuleSetLoadError(problems: parser.reader.problems)) }
        var reader = parser.reader

        checkUniqueness(draft, &reader)
        if draft.rules.isEmpty && reader.problems.isEmpty {
            reader.problem(draft.rulesLine, nil, "the rule set has no rules")
        }
        for rule in draft.rules {
            if rule.rationale.isEmpty {
                reader.problem(rule.line, rule.id, "breaks invariant '\(rationaleInvariantID)': the rationale is empty; every decision must say why")
            }
            if !rule.outcome.policeAttend && rule.callerAdvice.isEmpty {
                reader.problem(rule.line, rule.id, "breaks invariant '\(rationaleInvariantID)': outcome \(rule.outcome.rawValue) has no caller_advice; the caller must be told who will act and to call 999 again if things change")
            }
        }
        // The proofs only mean something over a schema-valid rule set.
        guard reader.problems.isEmpty else { return .failure(RuleSetLoadError(problems: reader.problems)) }

        let rules = draft.rules.sorted { $0.priority > $1.priority }
        let invariants = builtInInvariants + draft.invariants
        var analysis = RuleSetAnalysis(rules: rules, invariants: invariants, file: file, rulesLine: draft.rulesLine)
        analysis.run()
        guard analysis.problems.isEmpty else { return .failure(RuleSetLoadError(problems: analysis.problems)) }

        let content = canonicalContent(name: draft.name, version: draft.version, description: draft.description,
                                       rules: rules, invariants: draft.invariants)
        let revision = "sha256:" + SHA256.hex(content.serialized(sortedKeys: true))
        let ruleSet = RuleSet(name: draft.name, version: draft.version, revision: revision, rules: rules, invariants: invariants)
        return .success(Validated(ruleSet: ruleSet, regions: analysis.regions, combinations: analysis.combinations))
    }

    private static func checkUniqueness(_ draft: RuleFileParser.Draft, _ reader: inout YAMLReader) {
        var ids: [String: Int] = [:]
        var priorities: [Int: (id: String?, line: Int)] = [:]
        for identity in draft.identities {
            if let id = identity.id {
                if let first = ids[id] {
                    reader.problem(identity.line, id, "duplicate rule id: also used at line \(first)")
                } else { ids[id] = identity.line }
            }
            if let priority = identity.priority {
                if let first = priorities[priority] {
                    reader.problem(identity.line, identity.id, "duplicate priority \(priority): rule '\(first.id ?? "?")' (line \(first.line)) has it too; priorities decide which rule wins and must be unique")
                } else { priorities[priority] = (identity.id, identity.line) }
            }
        }
        var invariantIDs: Set<String> = Set(builtInInvariants.map(\.id) + [rationaleInvariantID])
        for invariant in draft.invariants where !invariantIDs.insert(invariant.id).inserted {
            let builtIn = builtInInvariants.contains { $0.id == invariant.id } || invariant.id == rationaleInvariantID
            reader.problem(invariant.line, nil, builtIn
                ? "invariant '\(invariant.id)' is built in and always proved; do not declare it again"
                : "duplicate invariant id '\(invariant.id)'")
        }
    }

    /// The rule set's meaning without its formatting: what the revision hashes and GET /v1/rules shows.
    static func canonicalContent(name: String, version: String, description: String, rules: [Rule], invariants: [Invariant]) -> JSONValue {
        var object: JSONObject = ["name": .string(name), "version": .string(version)]
        if !description.isEmpty { object["description"] = .string(description) }
        object["invariants"] = .array(invariants.map(\.json))
        object["rules"] = .array(rules.map(\.json))
        return .object(object)
    }
}

extension Rule {
    /// The rule as GET /v1/rules shows it; also its part of the canonical content.
    public var json: JSONValue {
        var object: JSONObject = [
            "id": .string(id), "title": .string(title), "priority": .int(priority),
            "when": .string(condition), "outcome": .string(outcome.rawValue),
            "agency_kinds": .array(agencyKinds.map { .string($0.rawValue) }),
            "rationale": .string(rationale), "citation": .string(citation),
            "caller_advice": .string(callerAdvice), "review_required": .bool(reviewRequired),
        ]
        if let acknowledgeWithinMinutes { object["acknowledge_within_minutes"] = .int(acknowledgeWithinMinutes) }
        if let acceptWithinMinutes { object["accept_within_minutes"] = .int(acceptWithinMinutes) }
        return .object(object)
    }
}

extension Invariant {
    public var json: JSONValue {
        var require = JSONObject()
        if let requirePoliceAttend { require["police_attend"] = .bool(requirePoliceAttend) }
        if let requireOutcomeIn { require["outcome_in"] = .array(requireOutcomeIn.map { .string($0.rawValue) }) }
        if !requireAgencyKinds.isEmpty { require["agency_kinds_include"] = .array(requireAgencyKinds.map { .string($0.rawValue) }) }
        if !forbidAgencyKinds.isEmpty { require["agency_kinds_exclude"] = .array(forbidAgencyKinds.map { .string($0.rawValue) }) }
        return ["id": .string(id), "description": .string(description), "when": .string(when.text), "require": .object(require)]
    }
}

extension RuleSet {
    /// The active rule set as GET /v1/rules answers it.
    public var json: JSONValue {
        var object: JSONObject = ["name": .string(name), "version": .string(version), "revision": .string(revision)]
        object["invariants"] = .array(invariants.map(\.json))
        object["rules"] = .array(rules.map(\.json))
        return .object(object)
    }
}
