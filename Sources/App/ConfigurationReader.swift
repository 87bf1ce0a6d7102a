import Foundation
import Yams

/// Reads one mapping of a YAML configuration strictly, field by field, letting an `RCRP_<PATH>`
/// environment variable stand in for any field, and remembering which keys were asked for so
/// that a key nobody reads (a typo, a setting from another version) is reported, not ignored.
struct ConfigurationReader {
    /// Where the values being read came from: a file (errors carry its line) or one environment variable.
    enum Origin: Equatable {
        case file(String)
        case environment(String)
    }

    let origin: Origin
    let path: [String]
    private let mapping: Node.Mapping?
    private let environment: [String: String]
    private let usage: EnvironmentUsage
    private var asked: [String] = []

    init(root: Node?, file: String, environment: [String: String], usage: EnvironmentUsage) throws(ConfigurationError) {
        self.origin = .file(file)
        self.path = []
        self.environment = environment
        self.usage = usage
        switch root {
        case nil:
            self.mapping = nil
        case .mapping(let mapping)?:
            self.mapping = mapping
        case let other?:
            throw ConfigurationError(source: Self.source(.file(file), other.mark), field: "",
                                     problem: "expected a mapping of settings at the top level, got \(Self.describe(other))")
        }
        try checkDuplicates()
    }

    private init(origin: Origin, path: [String], mapping: Node.Mapping?, environment: [String: String], usage: EnvironmentUsage)
    throws(ConfigurationError) {
        self.origin = origin
        self.path = path
        self.mapping = mapping
        self.environment = environment
        self.usage = usage
        try checkDuplicates()
    }

    // MARK: Scalars

    mutating func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let (text, plain, source) = try scalar(key) else { return fallback }
        guard plain, let value = Int(text) else {
            throw error(source, key, "expected an integer, got \(Self.quote(text))")
        }
        guard range.contains(value) else {
            throw error(source, key, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    mutating func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let (text, plain, source) = try scalar(key) else { return fallback }
        guard plain, let value = Double(text), value.isFinite else {
            throw error(source, key, "expected a number, got \(Self.quote(text))")
        }
        guard range.contains(value) else {
            throw error(source, key, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), got \(Self.format(value))")
        }
        return value
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let (text, plain, source) = try scalar(key) else { return fallback }
        switch (plain, text) {
        case (true, "true"): return true
        case (true, "false"): return false
        default: throw error(source, key, "expected true or false, got \(Self.quote(text))")
        }
    }

    /// A required-if-present string: `data_dir:` or `data_dir: ~` is a mistake to report, not a
    /// silent return to the default (which could put the ledger outside the volume).
    mutating func string(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        guard let (text, plain, source) = try scalar(key, allowNull: true) else { return fallback }
        guard !text.isEmpty, !(plain && (text == "null" || text == "~")) else { throw error(source, key, "must not be empty") }
        return text
    }

    /// A string that may be left out, or given as `null`/`~`/empty to mean "not set".
    mutating func optionalString(_ key: String) throws(ConfigurationError) -> String? {
        guard let (text, plain, _) = try scalar(key, allowNull: true) else { return nil }
        if text.isEmpty || (plain && (text == "null" || text == "~")) { return nil }
        return text
    }

    mutating func choice(_ key: String, default fallback: String, among choices: [String]) throws(ConfigurationError) -> String {
        guard let (text, _, source) = try scalar(key) else { return fallback }
        guard choices.contains(text) else {
            throw error(source, key, "expected one of \(choices.joined(separator: ", ")), got \(Self.quote(text))")
        }
        return text
    }

    /// A list of strings (`[a, b]` or one per line); nil when absent.
    mutating func stringList(_ key: String) throws(ConfigurationError) -> [String]? {
        asked.append(key)
        if let name = environmentName(key), let text = environment[name] {
            usage.used.insert(name)
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard let node = mapping?[key], !Self.isNull(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw error(Self.source(origin, node.mark), key, "expected a list, got \(Self.describe(node))")
        }
        var values: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item, !scalar.string.isEmpty else {
                throw error(Self.source(origin, item.mark), key, "expected a list of names, got \(Self.describe(item))")
            }
            values.append(scalar.string)
        }
        return values
    }

    // MARK: Structure

    /// A nested mapping; absent means every field in it takes its default (or its environment variable).
    mutating func section(_ key: String) throws(ConfigurationError) -> ConfigurationReader {
        asked.append(key)
        let node = mapping?[key]
        switch node {
        case nil:
            return try ConfigurationReader(origin: origin, path: path + [key], mapping: nil, environment: environment, usage: usage)
        case let node? where Self.isNull(node):
            return try ConfigurationReader(origin: origin, path: path + [key], mapping: nil, environment: environment, usage: usage)
        case .mapping(let nested)?:
            return try ConfigurationReader(origin: origin, path: path + [key], mapping: nested, environment: environment, usage: usage)
        case let other?:
            throw error(Self.source(origin, other.mark), key, "expected a mapping, got \(Self.describe(other))")
        }
    }

    /// A list of mappings. An environment variable replaces the whole list with YAML flow syntax,
    /// e.g. `RCRP_KEYS='[{id: cr1, role: control_room, sha256: ...}]'`.
    mutating func list(_ key: String) throws(ConfigurationError) -> [ConfigurationReader]? {
        asked.append(key)
        let node: Node?
        let itemOrigin: Origin
        if case .file = origin, let name = environmentName(key), let text = environment[name] {
            usage.used.insert(name)
            do {
                node = try Yams.compose(yaml: text)
            } catch {
                throw self.error(name, key, "not valid YAML: \(Self.firstLine(String(describing: error)))")
            }
            itemOrigin = .environment(name)
        } else {
            node = mapping?[key]
            itemOrigin = origin
        }
        switch node {
        case nil:
            return nil
        case let node? where Self.isNull(node):
            return []
        case .sequence(let sequence)?:
            var readers: [ConfigurationReader] = []
            for (index, item) in sequence.enumerated() {
                let itemPath = path + ["\(key)[\(index)]"]
                guard case .mapping(let itemMapping) = item else {
                    throw ConfigurationError(source: Self.source(itemOrigin, item.mark), field: itemPath.joined(separator: "."),
                                             problem: "expected a mapping, got \(Self.describe(item))")
                }
                readers.append(try ConfigurationReader(origin: itemOrigin, path: itemPath, mapping: itemMapping,
                                                       environment: [:], usage: usage))
            }
            return readers
        case let other?:
            throw error(Self.source(itemOrigin, other.mark), key, "expected a list, got \(Self.describe(other))")
        }
    }

    /// Fails on the first key in this mapping that no one asked for, suggesting the nearest known one.
    func rejectUnknownKeys() throws(ConfigurationError) {
        guard let mapping else { return }
        for (keyNode, _) in mapping {
            let key = keyNode.scalar?.string ?? ""
            if asked.contains(key) { continue }
            var problem = "unknown setting"
            if let nearest = asked.min(by: { Self.distance($0, key) < Self.distance($1, key) }),
               Self.distance(nearest, key) <= max(2, key.count / 3) {
                problem += " (did you mean \((path + [nearest]).joined(separator: "."))?)"
            } else if !asked.isEmpty {
                problem += "; known here: \(asked.joined(separator: ", "))"
            }
            throw error(Self.source(origin, keyNode.mark), key, problem)
        }
    }

    /// The place to name in an error about a field that is otherwise valid (cross-field checks).
    func location(of key: String) -> String {
        if case .file = origin, let name = environmentName(key), environment[name] != nil { return name }
        return Self.source(origin, mapping?[key]?.mark)
    }

    func fieldPath(_ key: String) -> String { (path + [key]).joined(separator: ".") }

    // MARK: Internals

    private func environmentName(_ key: String) -> String? {
        guard case .file = origin else { return nil }
        let name = "RCRP_" + (path + [key]).joined(separator: "_").uppercased()
        usage.known.insert(name)
        return name
    }

    /// The scalar text for `key`, whether it is plain (unquoted), and where it came from; nil when absent.
    private mutating func scalar(_ key: String, allowNull: Bool = false) throws(ConfigurationError) -> (String, Bool, String)? {
        asked.append(key)
        if let name = environmentName(key), let text = environment[name] {
            usage.used.insert(name)
            return (text.trimmingCharacters(in: .whitespaces), true, name)
        }
        guard let node = mapping?[key] else { return nil }
        let source = Self.source(origin, node.mark)
        guard case .scalar(let scalar) = node else {
            throw error(source, key, "expected a single value, got \(Self.describe(node))")
        }
        if !allowNull, Self.isNull(node) { return nil }
        return (scalar.string, scalar.style == .plain || scalar.style == .any, source)
    }

    private func checkDuplicates() throws(ConfigurationError) {
        guard let mapping else { return }
        var seen: Set<String> = []
        for (keyNode, _) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ConfigurationError(source: Self.source(origin, keyNode.mark), field: path.joined(separator: "."),
                                         problem: "keys must be plain names")
            }
            if !seen.insert(key).inserted {
                throw error(Self.source(origin, keyNode.mark), key, "given twice")
            }
        }
    }

    func error(_ source: String, _ key: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(source: source, field: fieldPath(key), problem: problem)
    }

    static func source(_ origin: Origin, _ mark: Mark?) -> String {
        switch origin {
        case .file(let file): return mark.map { "\(file):\($0.line)" } ?? file
        case .environment(let name): return name
        }
    }

    /// `null`, `~` or nothing at all after the colon.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return quote(scalar.string)
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    static func quote(_ text: String) -> String {
        let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
        return "\"" + shown.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: true).first ?? "")
    }

    /// Levenshtein distance, for "did you mean" on a mistyped key.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// The `RCRP_*` environment variables a load could have used and those it did, so that any other
/// `RCRP_*` variable can be refused as a typo with the nearest real name.
final class EnvironmentUsage {
    var known: Set<String> = []
    var used: Set<String> = []
}
