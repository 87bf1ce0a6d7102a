import Foundation
import JSON
import Yams

/// What running a rule set's fixtures found.
public struct FixtureReport: Sendable {
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        public let file: String
        public let line: Int
        /// The fixture's name, or nil when the problem is with the file itself.
        public let name: String?
        public let expected: String
        public let actual: String

        public var description: String {
            let place = line > 0 ? "\(file):\(line)" : file
            let fixture = name.map { "fixture '\($0)'" } ?? "fixture file"
            return "\(place): \(fixture): expected \(expected); got \(actual)"
        }
    }

    public var passed = 0
    public var failures: [Failure] = []
    public var failed: Int { failures.count }
    /// Rules that no passing fixture saw decide: each rule needs at least one example.
    public var uncoveredRules: [String] = []
}

/// Thrown when the fixtures cannot be read at all.
public struct FixtureError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Runs fixture files (the format of shared/rcrp/vignettes.yaml) against a rule set, as
/// `opa test` runs tests beside a policy.
public enum FixtureRunner {
    static let expectKeys = ["rule", "police_attend", "outcome_in", "agency_kinds_include", "agency_kinds_exclude",
                             "accept_by", "review_required"]
    static let maximumFixtures = 10_000

    /// Runs every `*.yaml` in `path` (a directory) or the file `path`.
    public static func run(_ ruleSet: RuleSet, fixtures path: String) throws(FixtureError) -> FixtureReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FixtureError(description: "\(path): no fixtures there (expected *.yaml files of fixtures)")
        }
        var files = [path]
        if isDirectory.boolValue {
            files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
        }
        guard !files.isEmpty else { throw FixtureError(description: "\(path): no fixture files (*.yaml)") }
        var report = FixtureReport()
        var covered: Set<String> = []
        var names: [String: String] = [:]
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw FixtureError(description: "\(file): cannot be read")
            }
            run(ruleSet, yaml: text, file: file, into: &report, covered: &covered, names: &names)
        }
        report.uncoveredRules = ruleSet.rules.map(\.id).filter { !covered.contains($0) }
        return report
    }

    /// Runs the fixtures in one YAML text.
    static func run(_ ruleSet: RuleSet, yaml: String, file: String, into report: inout FixtureReport,
                    covered: inout Set<String>, names: inout [String: String]) {
        func fileFailure(_ line: Int, _ message: String) {
            report.failures.append(.init(file: file, line: line, name: nil, expected: "a readable fixture file", actual: message))
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return fileFailure(0, "an empty file") }
            root = node
        } catch let error as YamlError {
            return fileFailure(RuleFileParser.line(of: error), "invalid YAML: \(RuleFileParser.summary(of: error))")
        } catch {
            return fileFailure(0, "invalid YAML: \(error)")
        }
        guard case .sequence(let items) = root, items.count <= maximumFixtures else {
            return fileFailure(YAMLReader.line(root), "not a list of fixtures (- name: …, call: …, expect: …)")
        }
        for item in items {
            let line = YAMLReader.line(item)
            var reader = YAMLReader(file: file)
            var name: String?
            var decided: (decision: Decision, call: Call)?
            var callProblem = "no call"
            var expectations: [(String, (Decision, Call) -> Bool)] = []
            if let entries = reader.entries(item, what: "fixture", ruleID: nil) {
                reader.checkKeys(entries, at: line, what: "fixture", ruleID: nil, allowed: ["name", "why", "call", "expect"],
                                 required: ["name", "call", "expect"])
                var fields: [String: Node] = [:]
                for entry in entries { fields[entry.key] = entry.value }
                name = fields["name"].flatMap { reader.string($0, field: "name", ruleID: nil, maxLength: 200) }
                if let name {
                    if let first = names[name] {
                        reader.problem(line, nil, "the name '\(name)' is already used at \(first)")
                    }
                    names[name] = "\(file):\(line)"
                }
                if let expect = fields["expect"] {
                    expectations = parseExpectations(expect, ruleSet: ruleSet, reader: &reader)
                }
                if let callNode = fields["call"], let json = reader.json(callNode, path: "call") {
                    switch Call.decode(json) {
                    case .success(let call): decided = (ruleSet.decide(call), call)
                    case .failure(let error): callProblem = "an invalid call: \(error)"
                    }
                }
            }
            let label = name ?? "#\(items.firstIndex(of: item).map { $0 + 1 } ?? 0)"
            if !reader.problems.isEmpty {
                report.failures.append(.init(file: file, line: line, name: label, expected: "a valid fixture",
                                             actual: reader.problems.map(\.message).joined(separator: "; ")))
                continue
            }
            guard let (decision, call) = decided else {
                report.failures.append(.init(file: file, line: line, name: label, expected: "a valid call", actual: callProblem))
                continue
            }
            let failed = expectations.filter { !$0.1(decision, call) }.map(\.0)
            if failed.isEmpty {
                report.passed += 1
                covered.insert(decision.ruleID)
            } else {
                report.failures.append(.init(file: file, line: line, name: label, expected: failed.joined(separator: ", "),
                                             actual: describe(decision, call)))
            }
        }
    }

    /// The decision as a failure shows it: the rule that actually decided, and what it said.
    static func describe(_ decision: Decision, _ call: Call) -> String {
        let kinds = decision.agencyKinds.map(\.rawValue).joined(separator: ", ")
        var text = "rule '\(decision.ruleID)' (outcome \(decision.outcome.rawValue), police_attend \(decision.policeAttend), agency_kinds [\(kinds)]"
        if let acceptBy = decision.acceptBy(for: call) { text += ", accept_by \(RFC3339.format(acceptBy))" }
        return text + ")"
    }

    /// The checks an `expect` mapping asks for, each with the text a failure shows.
    private static func parseExpectations(_ node: Node, ruleSet: RuleSet, reader: inout YAMLReader) -> [(String, (Decision, Call) -> Bool)] {
        guard let entries = reader.entries(node, what: "expect", ruleID: nil) else { return [] }
        reader.checkKeys(entries, at: YAMLReader.line(node), what: "expect", ruleID: nil, allowed: expectKeys, required: [])
        if entries.isEmpty { reader.problem(YAMLReader.line(node), nil, "'expect' must say something") }
        var checks: [(String, (Decision, Call) -> Bool)] = []
        for entry in entries {
            switch entry.key {
            case "rule":
                guard let id = reader.string(entry.value, field: "rule", ruleID: nil, maxLength: 64) else { continue }
                if !ruleSet.rules.contains(where: { $0.id == id }) {
                    reader.problem(entry.line, nil, "'expect.rule' names '\(id)', which is not a rule of \(ruleSet.name)"
                                   + YAMLReader.suggestion(id, among: ruleSet.rules.map(\.id)))
                }
                checks.append(("rule '\(id)'", { decision, _ in decision.ruleID == id }))
            case "police_attend":
                guard let value = reader.bool(entry.value, field: "police_attend", ruleID: nil) else { continue }
                checks.append(("police_attend \(value)", { decision, _ in decision.policeAttend == value }))
            case "review_required":
                guard let value = reader.bool(entry.value, field: "review_required", ruleID: nil) else { continue }
                checks.append(("review_required \(value)", { decision, _ in decision.reviewRequired == value }))
            case "outcome_in":
                guard let outcomes = reader.enumerations(entry.value, Outcome.self, field: "outcome_in", ruleID: nil) else { continue }
                checks.append(("outcome in [\(outcomes.map(\.rawValue).joined(separator: ", "))]", { decision, _ in outcomes.contains(decision.outcome) }))
            case "agency_kinds_include":
                guard let kinds = reader.enumerations(entry.value, AgencyKind.self, field: entry.key, ruleID: nil) else { continue }
                checks.append(("agency_kinds including [\(kinds.map(\.rawValue).joined(separator: ", "))]", { decision, _ in kinds.allSatisfy(decision.agencyKinds.contains) }))
            case "agency_kinds_exclude":
                guard let kinds = reader.enumerations(entry.value, AgencyKind.self, field: entry.key, ruleID: nil) else { continue }
                checks.append(("agency_kinds without [\(kinds.map(\.rawValue).joined(separator: ", "))]", { decision, _ in !kinds.contains(where: decision.agencyKinds.contains) }))
            case "accept_by":
                guard let text = reader.string(entry.value, field: "accept_by", ruleID: nil, maxLength: 64) else { continue }
                guard let date = RFC3339.parse(text) else {
                    reader.problem(entry.line, nil, "'accept_by' must be an RFC 3339 time")
                    continue
                }
                checks.append(("accept_by \(text)", { decision, call in decision.acceptBy(for: call) == date }))
            default:
                break
            }
        }
        return checks
    }
}
