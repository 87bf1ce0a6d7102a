import Yams

/// Turns a rule file's YAML into rules and invariants, checking the schema as it goes.
struct RuleFileParser {
    struct Draft {
        var name = ""
        var version = ""
        var description = ""
        var rules: [Rule] = []
        var invariants: [Invariant] = []
        var rulesLine = 0
        /// Every rule's id and priority as far as they could be read, broken rules included,
        /// so duplicates are found in the same run as the other problems.
        var identities: [(id: String?, priority: Int?, line: Int)] = []
    }

    static let maximumFileBytes = 1 << 20
    static let maximumRules = 500
    static let maximumInvariants = 100
    static let maximumTextLength = 4000
    static let minuteRange = 1...1440

    static let topKeys = ["name", "version", "description", "invariants", "rules"]
    static let ruleKeys = ["id", "title", "priority", "when", "outcome", "agency_kinds", "rationale", "citation",
                           "caller_advice", "review_required", "acknowledge_within_minutes", "accept_within_minutes"]
    static let requiredRuleKeys = ["id", "title", "priority", "when", "outcome", "agency_kinds", "rationale", "citation"]
    static let invariantKeys = ["id", "description", "when", "require"]
    static let requireKeys = ["police_attend", "outcome_in", "agency_kinds_include", "agency_kinds_exclude"]

    var reader: YAMLReader

    init(file: String) { reader = YAMLReader(file: file) }

    mutating func parse(_ yaml: String) -> Draft? {
        guard yaml.utf8.count <= Self.maximumFileBytes else {
            reader.problem(0, nil, "rule file is larger than \(Self.maximumFileBytes) bytes")
            return nil
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                reader.problem(0, nil, "rule file is empty")
                return nil
            }
            root = node
        } catch let error as YamlError {
            reader.problem(Self.line(of: error), nil, "not valid YAML: \(Self.summary(of: error))")
            return nil
        } catch {
            reader.problem(0, nil, "not valid YAML: \(error)")
            return nil
        }
        guard let top = reader.entries(root, what: "the rule file", ruleID: nil) else { return nil }
        reader.checkKeys(top, at: YAMLReader.line(root), what: "the rule file", ruleID: nil,
                         allowed: Self.topKeys, required: ["name", "version", "rules"])
        var draft = Draft()
        for entry in top {
            switch entry.key {
            case "name":
                draft.name = reader.string(entry.value, field: "name", ruleID: nil, maxLength: 100) ?? ""
            case "version":
                draft.version = reader.string(entry.value, field: "version", ruleID: nil, maxLength: 100) ?? ""
            case "description":
                draft.description = reader.string(entry.value, field: "description", ruleID: nil, maxLength: Self.maximumTextLength) ?? ""
            case "invariants":
                for item in reader.sequence(entry.value, field: "invariants", ruleID: nil, maxCount: Self.maximumInvariants) ?? [] {
                    if let invariant = parseInvariant(item) { draft.invariants.append(invariant) }
                }
            case "rules":
                draft.rulesLine = entry.line
                for item in reader.sequence(entry.value, field: "rules", ruleID: nil, maxCount: Self.maximumRules) ?? [] {
                    if let rule = parseRule(item, &draft) { draft.rules.append(rule) }
                }
            default:
                break
            }
        }
        return draft
    }

    /// The rule's id, read first so every later message can name the rule.
    private func peekID(_ node: Node) -> String? {
        guard case .mapping(let mapping) = node, case .scalar(let scalar)? = mapping["id"] else { return nil }
        return scalar.string
    }

    private mutating func parseRule(_ node: Node, _ draft: inout Draft) -> Rule? {
        let line = YAMLReader.line(node)
        let id = peekID(node)
        guard let entries = reader.entries(node, what: "rule", ruleID: id) else { return nil }
        reader.checkKeys(entries, at: line, what: "rule", ruleID: id, allowed: Self.ruleKeys, required: Self.requiredRuleKeys)
        var fields: [String: Node] = [:]
        for entry in entries { fields[entry.key] = entry.value }

        let before = reader.problems.count
        let ruleID = fields["id"].flatMap { validID($0, what: "rule") }
        let title = fields["title"].flatMap { reader.string($0, field: "title", ruleID: id, maxLength: 200) }
        let priority = fields["priority"].flatMap { reader.int($0, field: "priority", ruleID: id, range: 0...1_000_000) }
        draft.identities.append((ruleID, priority, line))
        let when = fields["when"].flatMap { reader.condition($0, ruleID: id) }
        let outcome = fields["outcome"].flatMap { reader.enumeration($0, Outcome.self, field: "outcome", ruleID: id) }
        let kinds = fields["agency_kinds"].flatMap { reader.enumerations($0, AgencyKind.self, field: "agency_kinds", ruleID: id) }
        let rationale = fields["rationale"].flatMap { reader.string($0, field: "rationale", ruleID: id, maxLength: Self.maximumTextLength, allowEmpty: true) }
        let citation = fields["citation"].flatMap { reader.string($0, field: "citation", ruleID: id, maxLength: Self.maximumTextLength) }
        let advice = fields["caller_advice"].map { reader.string($0, field: "caller_advice", ruleID: id, maxLength: Self.maximumTextLength, allowEmpty: true) } ?? ""
        let review = fields["review_required"].map { reader.bool($0, field: "review_required", ruleID: id) } ?? false
        let acknowledge = fields["acknowledge_within_minutes"].flatMap { reader.int($0, field: "acknowledge_within_minutes", ruleID: id, range: Self.minuteRange) }
        let accept = fields["accept_within_minutes"].flatMap { reader.int($0, field: "accept_within_minutes", ruleID: id, range: Self.minuteRange) }

        if let kinds, kinds.contains(.police) {
            reader.problem(YAMLReader.line(fields["agency_kinds"]!), id, "'agency_kinds' must not list police: police attendance is the outcome police_attend or joint_response")
        }
        if let kinds, let outcome, kinds.isEmpty, outcome == .handoff || outcome == .jointResponse {
            reader.problem(YAMLReader.line(fields["agency_kinds"]!), id, "outcome \(outcome.rawValue) needs at least one agency kind to hand the call to: no handoff may be without an owner")
        }
        if let acknowledge, let accept, acknowledge > accept {
            reader.problem(line, id, "'acknowledge_within_minutes' (\(acknowledge)) is later than 'accept_within_minutes' (\(accept))")
        }
        guard reader.problems.count == before, let ruleID, let title, let priority, let when, let outcome, let kinds,
              let rationale, let citation, let advice, let review else { return nil }
        return Rule(id: ruleID, title: title, priority: priority, outcome: outcome, agencyKinds: kinds,
                    rationale: rationale, citation: citation, callerAdvice: advice, reviewRequired: review,
                    acknowledgeWithinMinutes: acknowledge, acceptWithinMinutes: accept,
                    file: reader.file, line: line, when: when)
    }

    private mutating func parseInvariant(_ node: Node) -> Invariant? {
        let line = YAMLReader.line(node)
        let id = peekID(node)
        guard let entries = reader.entries(node, what: "invariant", ruleID: nil) else { return nil }
        reader.checkKeys(entries, at: line, what: "invariant '\(id ?? "?")'", ruleID: nil,
                         allowed: Self.invariantKeys, required: ["id", "when", "require"])
        var fields: [String: Node] = [:]
        for entry in entries { fields[entry.key] = entry.value }
        let before = reader.problems.count
        let invariantID = fields["id"].flatMap { validID($0, what: "invariant") }
        let description = fields["description"].map { reader.string($0, field: "description", ruleID: nil, maxLength: Self.maximumTextLength) ?? "" } ?? ""
        let when = fields["when"].flatMap { reader.condition($0, ruleID: nil) }
        var police: Bool?
        var outcomes: [Outcome]?
        var include: [AgencyKind] = []
        var exclude: [AgencyKind] = []
        if let require = fields["require"], let requirements = reader.entries(require, what: "require", ruleID: nil) {
            reader.checkKeys(requirements, at: YAMLReader.line(require), what: "require of invariant '\(id ?? "?")'",
                             ruleID: nil, allowed: Self.requireKeys, required: [])
            for entry in requirements {
                switch entry.key {
                case "police_attend": police = reader.bool(entry.value, field: "police_attend", ruleID: nil)
                case "outcome_in": outcomes = reader.enumerations(entry.value, Outcome.self, field: "outcome_in", ruleID: nil)
                case "agency_kinds_include": include = reader.enumerations(entry.value, AgencyKind.self, field: entry.key, ruleID: nil) ?? []
                case "agency_kinds_exclude": exclude = reader.enumerations(entry.value, AgencyKind.self, field: entry.key, ruleID: nil) ?? []
                default: break
                }
            }
            if requirements.isEmpty { reader.problem(YAMLReader.line(require), nil, "invariant '\(id ?? "?")' requires nothing") }
        }
        guard reader.problems.count == before, let invariantID, let when else { return nil }
        return Invariant(id: invariantID, description: description, requirePoliceAttend: police,
                         requireOutcomeIn: outcomes, requireAgencyKinds: include, forbidAgencyKinds: exclude,
                         file: reader.file, line: line, when: when)
    }

    /// Ids are lower-case words joined by hyphens, so they read well in logs and URLs.
    private mutating func validID(_ node: Node, what: String) -> String? {
        guard let id = reader.string(node, field: "id", ruleID: nil, maxLength: 64) else { return nil }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard id.allSatisfy(allowed.contains), id.first != "-" else {
            reader.problem(YAMLReader.line(node), id, "\(what) id '\(id)' may hold only a-z, 0-9 and '-'")
            return nil
        }
        return id
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 0
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            [context?.text, problem].compactMap { $0 }.joined(separator: ": ")
        default: "\(error)"
        }
    }
}
