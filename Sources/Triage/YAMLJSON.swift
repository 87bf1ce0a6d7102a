import JSON
import Yams

extension YAMLReader {
    /// A YAML node as JSON, typed by YAML 1.2's core schema: only `true`/`false` are booleans
    /// (so `intelligence_of_harm: no` stays the string "no"), quoted scalars are always strings.
    mutating func json(_ node: Node, path: String, depth: Int = 0) -> JSONValue? {
        guard depth < 16 else {
            problem(Self.line(node), nil, "'\(path)' is nested too deeply")
            return nil
        }
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            let text = scalar.string
            switch text {
            case "", "~", "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: break
            }
            if let int = Int64(text) { return .int(int) }
            if text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) == true, let double = Double(text), double.isFinite {
                return .double(double)
            }
            return .string(text)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for (index, item) in sequence.enumerated() {
                guard let value = json(item, path: "\(path)[\(index)]", depth: depth + 1) else { return nil }
                items.append(value)
            }
            return .array(items)
        case .mapping:
            guard let entries = entries(node, what: "'\(path)'", ruleID: nil) else { return nil }
            var object = JSONObject()
            for entry in entries {
                guard let value = json(entry.value, path: path.isEmpty ? entry.key : "\(path).\(entry.key)", depth: depth + 1) else { return nil }
                object[entry.key] = value
            }
            return .object(object)
        }
    }
}
