/// The rules' conditions laid out flat, with each part's text rendered once at load, so that
/// explaining a call (which visits every higher-priority rule) builds no strings and walks no
/// indirect enums. Gives exactly what `Condition.firstFailure` gives; tests compare the two.
struct FailurePlan: Sendable {
    struct Node: Sendable {
        enum Op: UInt8, Sendable { case test, all, any, not }
        var op: Op
        /// test: the predicate's field; not: the first field its inner part reads.
        var field: Field?
        var test: Predicate.Test = .member(0)
        /// This node's children in `children`.
        var firstChild: Int32 = 0
        var childCount: Int32 = 0
    }

    /// Where a condition failed: the part to show and the field whose value explains it.
    struct Failure {
        var node: Int
        var field: Field?
    }

    /// Plain values only, so that walking them costs no reference counting.
    private(set) var nodes: [Node] = []
    /// Per node, `Condition.text` of its part.
    private(set) var texts: [String] = []
    private(set) var children: [Int32] = []
    /// Per rule (in priority order), the node of its whole `when`.
    private(set) var roots: [Int] = []

    init(conditions: [Condition]) {
        for condition in conditions { roots.append(add(condition)) }
    }

    private mutating func add(_ condition: Condition) -> Int {
        let index = nodes.count
        texts.append(condition.text)
        switch condition {
        case .test(let predicate):
            nodes.append(Node(op: .test, field: predicate.field, test: predicate.test))
        case .all(let parts), .any(let parts):
            let op: Node.Op = if case .all = condition { .all } else { .any }
            nodes.append(Node(op: op, field: nil))
            let childIndices = parts.map { add($0) }
            nodes[index].firstChild = Int32(children.count)
            nodes[index].childCount = Int32(childIndices.count)
            children.append(contentsOf: childIndices.map { Int32($0) })
        case .not(let inner):
            nodes.append(Node(op: .not, field: inner.predicates.first?.field))
            let child = add(inner)
            nodes[index].firstChild = Int32(children.count)
            nodes[index].childCount = 1
            children.append(Int32(child))
        }
        return index
    }

    func text(_ node: Int) -> String { texts[node] }

    /// The first failure of rule `rule`'s condition for `call`, nil when it holds.
    func firstFailure(rule: Int, _ call: Call) -> Failure? {
        nodes.withUnsafeBufferPointer { nodes in
            children.withUnsafeBufferPointer { children in
                Self.firstFailure(roots[rule], call, nodes, children)
            }
        }
    }

    private static func holds(_ index: Int, _ call: Call, _ nodes: UnsafeBufferPointer<Node>,
                              _ children: UnsafeBufferPointer<Int32>) -> Bool {
        let node = nodes[index]
        let parts = children[Int(node.firstChild)..<Int(node.firstChild + node.childCount)]
        switch node.op {
        case .test:
            let code = node.field!.code(in: call)
            switch node.test {
            case .member(let mask): return code >= 0 && code < 64 && mask & (1 << UInt64(code)) != 0
            case .range(let lo, let hi): return lo <= code && code <= hi
            }
        case .all: return parts.allSatisfy { holds(Int($0), call, nodes, children) }
        case .any: return parts.contains { holds(Int($0), call, nodes, children) }
        case .not: return !holds(Int(parts.first!), call, nodes, children)
        }
    }

    private static func firstFailure(_ index: Int, _ call: Call, _ nodes: UnsafeBufferPointer<Node>,
                                     _ children: UnsafeBufferPointer<Int32>) -> Failure? {
        guard !holds(index, call, nodes, children) else { return nil }
        let node = nodes[index]
        let parts = children[Int(node.firstChild)..<Int(node.firstChild + node.childCount)]
        switch node.op {
        case .test:
            return Failure(node: index, field: node.field)
        case .all:
            for part in parts {
                if let failure = firstFailure(Int(part), call, nodes, children) { return failure }
            }
            return nil
        case .any:
            guard let part = parts.first, let first = firstFailure(Int(part), call, nodes, children) else {
                return Failure(node: index, field: nil)
            }
            return Failure(node: index, field: first.field)
        case .not:
            return Failure(node: index, field: node.field)
        }
    }
}
