import Foundation
import Yams

/// Reads typed values out of a YAML node tree, recording a located problem instead of stopping
/// at the first one, so that a rule author sees every mistake in one run.
struct YAMLReader {
    let file: String
    private(set) var problems: [RuleProblem] = []
    /// Mappings and lists read so far. YAML aliases can make a small file expand enormously, so
    /// reading stops at `maximumNodes` with one problem instead of running away.
    private var nodesRead = 0
    static let maximumNodes = 20_000

    private mutating func withinBudget(_ node: Node) -> Bool {
        nodesRead += 1
        if nodesRead == Self.maximumNodes + 1 {
            problem(Self.line(node), nil, "the file expands to more than \(Self.maximumNodes) mappings and lists (through YAML aliases?)")
        }
        return nodesRead <= Self.maximumNodes
    }

    init(file: String) { self.file = file }

    /// A mapping entry with its key's line.
    struct Entry {
        let key: String
        let value: Node
        let line: Int
    }

    static func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    mutating func problem(_ line: Int, _ ruleID: String?, _ message: String, counterexample: Call? = nil) {
        problems.append(RuleProblem(file: file, line: line, ruleID: ruleID, message: message, counterexample: counterexample))
    }

    mutating func add(_ problem: RuleProblem) { problems.append(problem) }

    /// The entries of a mapping with string keys; duplicate keys are refused (YAML allows the
    /// parser to keep either, and a rule must never silently lose a condition).
    mutating func entries(_ node: Node, what: String, ruleID: String?) -> [Entry]? {
        guard withinBudget(node) else { return nil }
        guard case .mapping(let mapping) = node else {
            problem(Self.line(node), ruleID, "\(what) must be a mapping (key: value)")
            return nil
        }
        var seen: Set<String> = []
        var result: [Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                problem(Self.line(key), ruleID, "\(what) has a key that is not a plain name")
                continue
            }
            let line = scalar.mark?.line ?? Self.line(node)
            if !seen.insert(scalar.string).inserted {
                problem(line, ruleID, "\(what) has the key '\(scalar.string)' twice")
                continue
            }
            result.append(Entry(key: scalar.string, value: value, line: line))
        }
        return result
    }

    /// Checks the keys of a mapping against the allowed and required ones.
    mutating func checkKeys(_ entries: [Entry], at line: Int, what: String, ruleID: String?,
                            allowed: [String], required: [String]) {
        for entry in entries where !allowed.contains(entry.key) {
            problem(entry.line, ruleID, "unknown field '\(entry.key)' in \(what)\(Self.suggestion(entry.key, among: allowed))")
        }
        let present = Set(entries.map(\.key))
        for key in required where !present.contains(key) {
            problem(line, ruleID, "\(what) is missing '\(key)'")
        }
    }

    mutating func string(_ node: Node, field: String, ruleID: String?, maxLength: Int, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node else {
            problem(Self.line(node), ruleID, "'\(field)' must be text")
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty && !allowEmpty {
            problem(Self.line(node), ruleID, "'\(field)' must not be empty")
            return nil
        }
        if text.count > maxLength {
            problem(Self.line(node), ruleID, "'\(field)' is longer than \(maxLength) characters")
            return nil
        }
        return text
    }

    mutating func int(_ node: Node, field: String, ruleID: String?, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
              let value = Int(scalar.string) else {
            problem(Self.line(node), ruleID, "'\(field)' must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            problem(Self.line(node), ruleID, "'\(field)' must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, field: String, ruleID: String?) -> Bool? {
        if let value = Self.plainBool(node) { return value }
        problem(Self.line(node), ruleID, "'\(field)' must be true or false")
        return nil
    }

    static func plainBool(_ node: Node) -> Bool? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// A sequence's items; a single scalar is not silently taken as a one-item list.
    mutating func sequence(_ node: Node, field: String, ruleID: String?, maxCount: Int) -> [Node]? {
        guard withinBudget(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            problem(Self.line(node), ruleID, "'\(field)' must be a list")
            return nil
        }
        guard sequence.count <= maxCount else {
            problem(Self.line(node), ruleID, "'\(field)' has more than \(maxCount) items")
            return nil
        }
        return Array(sequence)
    }

    /// One wire name from a closed vocabulary.
    mutating func enumeration<E: CodedEnumeration>(_ node: Node, _ type: E.Type, field: String, ruleID: String?) -> E? {
        guard case .scalar(let scalar) = node else {
            problem(Self.line(node), ruleID, "'\(field)' must be one of \(E.wireNames.joined(separator: ", "))")
            return nil
        }
        guard let value = E(rawValue: scalar.string) else {
            problem(Self.line(node), ruleID, "unknown value '\(scalar.string)' for '\(field)'\(Self.suggestion(scalar.string, among: E.wireNames)); expected one of \(E.wireNames.joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A list of wire names, without repeats.
    mutating func enumerations<E: CodedEnumeration>(_ node: Node, _ type: E.Type, field: String, ruleID: String?) -> [E]? {
        guard let items = sequence(node, field: field, ruleID: ruleID, maxCount: E.allCases.count * 2) else { return nil }
        var values: [E] = []
        var ok = true
        for item in items {
            guard let value = enumeration(item, type, field: field, ruleID: ruleID) else { ok = false; continue }
            if values.contains(value) {
                problem(Self.line(item), ruleID, "'\(field)' lists '\(value.rawValue)' twice")
                ok = false
            }
            values.append(value)
        }
        return ok ? values : nil
    }

    /// ", did you mean 'x'?" when a near name exists (edit distance ≤ 2 or a third of the length).
    static func suggestion(_ word: String, among names: [String]) -> String {
        let limit = max(2, word.count / 3)
        let best = names.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (name, distance) = best, distance <= limit else { return "" }
        return " (did you mean '\(name)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
