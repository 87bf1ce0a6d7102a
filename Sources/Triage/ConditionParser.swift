import Yams

/// Reads a rule's `when` from YAML.
///
/// A condition is a mapping: `all: [..]`, `any: [..]`, `not: <condition>`, or a field path with a
/// predicate (`risk.crime: {one_of: [occurring, occurred]}`, `risk.violence: true`,
/// `subject.age: {lt: 18}`); several keys in one mapping must all hold. A plain string is either
/// `always` or a comparison such as `subject.age < 18`.
extension YAMLReader {
    static let maximumConditionDepth = 12
    static let combinators = ["all", "any", "not"]

    mutating func condition(_ node: Node, ruleID: String?, depth: Int = 0) -> Condition? {
        let line = Self.line(node)
        guard depth <= Self.maximumConditionDepth else {
            problem(line, ruleID, "condition is nested deeper than \(Self.maximumConditionDepth) levels")
            return nil
        }
        switch node {
        case .scalar(let scalar):
            return textCondition(scalar.string.trimmingCharacters(in: .whitespaces), line: line, ruleID: ruleID)
        case .sequence:
            problem(line, ruleID, "a condition is a mapping, not a list: write 'all:' or 'any:' before the list")
            return nil
        case .mapping:
            guard let entries = entries(node, what: "condition", ruleID: ruleID) else { return nil }
            guard !entries.isEmpty else {
                problem(line, ruleID, "empty condition: write 'always' for a rule that always matches")
                return nil
            }
            var parts: [Condition] = []
            var ok = true
            for entry in entries {
                if let part = conditionEntry(entry, ruleID: ruleID, depth: depth) { parts.append(part) } else { ok = false }
            }
            guard ok else { return nil }
            return parts.count == 1 ? parts[0] : .all(parts)
        }
    }

    private mutating func conditionEntry(_ entry: Entry, ruleID: String?, depth: Int) -> Condition? {
        switch entry.key {
        case "all", "any":
            guard let items = sequence(entry.value, field: entry.key, ruleID: ruleID, maxCount: 64) else { return nil }
            var parts: [Condition] = []
            var ok = true
            for item in items {
                if let part = condition(item, ruleID: ruleID, depth: depth + 1) { parts.append(part) } else { ok = false }
            }
            guard ok else { return nil }
            return entry.key == "all" ? .all(parts) : .any(parts)
        case "not":
            return condition(entry.value, ruleID: ruleID, depth: depth + 1).map { .not($0) }
        default:
            guard let field = Field.byPath[entry.key] else {
                problem(entry.line, ruleID, "unknown field '\(entry.key)' in condition\(Self.suggestion(entry.key, among: Field.allCases.map(\.path) + Self.combinators))")
                return nil
            }
            return predicateCondition(field, entry.value, line: entry.line, ruleID: ruleID)
        }
    }

    /// `always`, or `<field> <op> <value>` with op one of < <= > >= = !=.
    private mutating func textCondition(_ text: String, line: Int, ruleID: String?) -> Condition? {
        if text == "always" { return .all([]) }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let operators = ["<": "lt", "<=": "le", ">": "gt", ">=": "ge", "=": "equals", "==": "equals", "!=": "not_equals"]
        guard words.count == 3, let op = operators[words[1]] else {
            problem(line, ruleID, "cannot read condition '\(text)': write 'always', '<field> <op> <value>' (op one of < <= > >= = !=), or a mapping")
            return nil
        }
        guard let field = Field.byPath[words[0]] else {
            problem(line, ruleID, "unknown field '\(words[0])' in condition\(Self.suggestion(words[0], among: Field.allCases.map(\.path)))")
            return nil
        }
        if op == "not_equals" {
            return operatorPredicate(field, "equals", .scalar(.init(words[2])), line: line, ruleID: ruleID).map { .not($0) }
        }
        return operatorPredicate(field, op, .scalar(.init(words[2])), line: line, ruleID: ruleID)
    }

    /// A field's predicate: a scalar means equals, a list means one of, a mapping holds operators.
    private mutating func predicateCondition(_ field: Field, _ node: Node, line: Int, ruleID: String?) -> Condition? {
        switch node {
        case .scalar:
            return operatorPredicate(field, field.kind == .stepSet ? "contains" : "equals", node, line: line, ruleID: ruleID)
        case .sequence:
            return operatorPredicate(field, "one_of", node, line: line, ruleID: ruleID)
        case .mapping:
            guard let entries = entries(node, what: "predicate on '\(field.path)'", ruleID: ruleID) else { return nil }
            guard !entries.isEmpty else {
                problem(line, ruleID, "empty predicate on '\(field.path)'")
                return nil
            }
            var parts: [Condition] = []
            var ok = true
            for entry in entries {
                if let part = operatorPredicate(field, entry.key, entry.value, line: entry.line, ruleID: ruleID) { parts.append(part) } else { ok = false }
            }
            guard ok else { return nil }
            return parts.count == 1 ? parts[0] : .all(parts)
        }
    }

    static let operatorAliases = ["<": "lt", "<=": "le", ">": "gt", ">=": "ge", "in": "one_of", "is": "equals"]

    private mutating func operatorPredicate(_ field: Field, _ rawOperator: String, _ node: Node, line: Int, ruleID: String?) -> Condition? {
        let op = Self.operatorAliases[rawOperator] ?? rawOperator
        let path = field.path
        switch field.kind {
        case .enumeration(let names):
            let allowed = ["equals", "one_of", "not_one_of"]
            guard allowed.contains(op) else {
                problem(line, ruleID, "'\(rawOperator)' does not apply to '\(path)'; use \(allowed.joined(separator: ", "))\(Self.suggestion(rawOperator, among: allowed))")
                return nil
            }
            let values: [Node] = op == "equals" ? [node] : (sequence(node, field: "\(path) \(op)", ruleID: ruleID, maxCount: 64) ?? [])
            if values.isEmpty {
                if case .sequence = node { problem(line, ruleID, "'\(path) \(op)' needs at least one value") }
                return nil
            }
            var mask: UInt64 = 0
            var ok = true
            for value in values {
                guard case .scalar(let scalar) = value, let code = names.firstIndex(of: scalar.string) else {
                    let given = value.scalar?.string ?? "a non-text value"
                    problem(Self.line(value) > 0 ? Self.line(value) : line, ruleID,
                            "unknown value '\(given)' for '\(path)'\(Self.suggestion(given, among: names)); expected one of \(names.joined(separator: ", "))")
                    ok = false
                    continue
                }
                mask |= 1 << UInt64(code)
            }
            guard ok else { return nil }
            if op == "not_one_of" { mask = ~mask & ((1 << UInt64(names.count)) - 1) }
            let chosen = names.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { names[$0] }
            let text = chosen.count == 1 ? "\(path) = \(chosen[0])" : "\(path) in [\(chosen.joined(separator: ", "))]"
            return .test(Predicate(field: field, test: .member(mask), text: text))

        case .flag:
            guard op == "equals" else {
                problem(line, ruleID, "'\(rawOperator)' does not apply to the flag '\(path)'; write '\(path): true' or '\(path): false'")
                return nil
            }
            guard let value = Self.plainBool(node) else {
                problem(line, ruleID, "'\(path)' is a flag: compare it with true or false")
                return nil
            }
            return .test(Predicate(field: field, test: .member(value ? 0b10 : 0b01), text: "\(path) is \(value)"))

        case .age:
            if op == "known" {
                guard let known = Self.plainBool(node) else {
                    problem(line, ruleID, "'known' on '\(path)' takes true or false")
                    return nil
                }
                return .test(Predicate(field: field, test: known ? .range(0, Field.maximumAge) : .range(-1, -1),
                                       text: known ? "\(path) is given" : "\(path) is not given"))
            }
            let symbols = ["lt": "<", "le": "<=", "gt": ">", "ge": ">=", "equals": "="]
            guard let symbol = symbols[op] else {
                problem(line, ruleID, "'\(rawOperator)' does not apply to '\(path)'; use lt, le, gt, ge, equals or known (or <, <=, >, >=)")
                return nil
            }
            guard case .scalar(let scalar) = node, let n = Int(scalar.string), (0...Field.maximumAge).contains(n) else {
                problem(line, ruleID, "'\(path)' is compared with a whole number of years from 0 to \(Field.maximumAge)")
                return nil
            }
            let range: (Int, Int) = switch op {
            case "lt": (0, n - 1)
            case "le": (0, n)
            case "gt": (n + 1, Field.maximumAge)
            case "ge": (n, Field.maximumAge)
            default: (n, n)
            }
            return .test(Predicate(field: field, test: .range(range.0, range.1), text: "\(path) \(symbol) \(n)"))

        case .stepSet:
            let allowed = ["contains", "contains_all", "contains_any"]
            guard allowed.contains(op) else {
                problem(line, ruleID, "'\(rawOperator)' does not apply to '\(path)'; use \(allowed.joined(separator: ", "))\(Self.suggestion(rawOperator, among: allowed))")
                return nil
            }
            let steps: [PartnerStep]? = op == "contains"
                ? enumeration(node, PartnerStep.self, field: path, ruleID: ruleID).map { [$0] }
                : enumerations(node, PartnerStep.self, field: path, ruleID: ruleID)
            guard let steps, !steps.isEmpty else { return nil }
            let wanted = steps.reduce(0) { $0 | (1 << $1.code) }
            var mask: UInt64 = 0
            for set in field.domain where op == "contains_any" ? (set & wanted != 0) : (set & wanted == wanted) {
                mask |= 1 << UInt64(set)
            }
            let names = PartnerStep.allCases.filter { wanted & (1 << $0.code) != 0 }.map(\.rawValue)
            let text = switch op {
            case "contains_any": "\(path) contains any of [\(names.joined(separator: ", "))]"
            case _ where names.count == 1: "\(path) contains \(names[0])"
            default: "\(path) contains all of [\(names.joined(separator: ", "))]"
            }
            return .test(Predicate(field: field, test: .member(mask), text: text))
        }
    }
}
