/// One test on one field: the leaf of a rule's `when`.
struct Predicate: Sendable, Hashable {
    enum Test: Sendable, Hashable {
        /// The field's code is one of the set bits (enumerations, flags, partner-step sets).
        case member(UInt64)
        /// The code lies in `lo...hi` (ages; -1 is "not given").
        case range(Int, Int)
    }

    let field: Field
    let test: Test
    /// Canonical text, e.g. `risk.crime in [occurring, occurred]`; also feeds the revision.
    let text: String

    @inline(__always) func holds(_ code: Int) -> Bool {
        switch test {
        case .member(let mask): code >= 0 && code < 64 && mask & (1 << UInt64(code)) != 0
        case .range(let lo, let hi): lo <= code && code <= hi
        }
    }
}

/// A rule's `when`: all / any / not over predicates.
indirect enum Condition: Sendable, Hashable {
    case all([Condition])
    case any([Condition])
    case not(Condition)
    case test(Predicate)

    /// The condition as one line of text, the way the explanation and the revision show it.
    var text: String {
        switch self {
        case .test(let predicate): predicate.text
        case .all(let parts) where parts.isEmpty: "always"
        case .any(let parts) where parts.isEmpty: "never"
        case .all(let parts): parts.map(\.nestedText).joined(separator: " and ")
        case .any(let parts): parts.map(\.nestedText).joined(separator: " or ")
        case .not(let inner): "not " + inner.nestedText
        }
    }

    private var nestedText: String {
        switch self {
        case .test: text
        case .all(let parts) where parts.isEmpty: text
        case .any(let parts) where parts.isEmpty: text
        default: "(" + text + ")"
        }
    }

    var predicates: [Predicate] {
        switch self {
        case .test(let predicate): [predicate]
        case .all(let parts), .any(let parts): parts.flatMap(\.predicates)
        case .not(let inner): inner.predicates
        }
    }

    /// Reference evaluation (the engine runs the compiled `RuleProgram`; tests compare the two).
    func holds(_ call: Call) -> Bool {
        switch self {
        case .test(let predicate): predicate.holds(predicate.field.code(in: call))
        case .all(let parts): parts.allSatisfy { $0.holds(call) }
        case .any(let parts): parts.contains { $0.holds(call) }
        case .not(let inner): !inner.holds(call)
        }
    }

    /// For a condition that does not hold: the part that failed first, and the field and value
    /// that made it fail — what the explanation tells a call handler.
    func firstFailure(_ call: Call) -> (condition: String, field: String, value: String)? {
        guard !holds(call) else { return nil }
        switch self {
        case .test(let predicate):
            return (predicate.text, predicate.field.path, predicate.field.describe(predicate.field.code(in: call)))
        case .all(let parts):
            for part in parts { if let failure = part.firstFailure(call) { return failure } }
            return nil
        case .any(let parts):
            guard let first = parts.first?.firstFailure(call) else { return (text, "", "") }
            return (text, first.field, first.value)
        case .not(let inner):
            guard let field = inner.predicates.first?.field else { return (text, "", "") }
            return (text, field.path, field.describe(field.code(in: call)))
        }
    }
}
