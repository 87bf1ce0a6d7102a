/// The input space the validator proves things over: for every field some rule or invariant
/// reads, its domain split into the classes that the predicates tell apart (`subject.age < 18`
/// splits ages into "not given", 0–17 and 18+). Two calls whose fields fall in the same classes
/// satisfy exactly the same predicates, so they get the same decision; checking one call per
/// combination of classes checks them all.
struct ClassSpace {
    /// A condition with each predicate turned into a bit set over its field's classes.
    indirect enum Test {
        case all([Test])
        case any([Test])
        case not(Test)
        case classes(field: Int, mask: UInt64)
    }

    /// Per field: its classes (each a list of codes), and the mask holding every class.
    private(set) var classes: [[[Int]]] = []
    private(set) var fullMask: [UInt64] = []
    /// A field whose predicates split it into more than 64 classes (only ages can), if any:
    /// masks are 64 bits, so such a rule set is refused rather than half-checked.
    private(set) var overflowingField: Field?

    init(conditions: [Condition]) {
        let predicates = conditions.flatMap(\.predicates)
        for field in Field.allCases {
            let onField = Array(Set(predicates.filter { $0.field == field }))
            var groups: [[Bool]: [Int]] = [:]
            var order: [[Bool]] = []
            for code in field.domain {
                let signature = onField.map { $0.holds(code) }
                if groups[signature] == nil { order.append(signature) }
                groups[signature, default: []].append(code)
            }
            var fieldClasses = order.map { groups[$0]! }
            if fieldClasses.count > 64 {
                overflowingField = field
                fieldClasses = [field.domain]
            }
            classes.append(fieldClasses)
            fullMask.append(fieldClasses.count == 64 ? ~0 : (1 << UInt64(fieldClasses.count)) - 1)
        }
    }

    func compile(_ condition: Condition) -> Test {
        switch condition {
        case .all(let parts): .all(parts.map(compile))
        case .any(let parts): .any(parts.map(compile))
        case .not(let inner): .not(compile(inner))
        case .test(let predicate):
            .classes(field: predicate.field.rawValue, mask: classes[predicate.field.rawValue].enumerated().reduce(0) { mask, item in
                predicate.holds(item.element[0]) ? mask | (1 << UInt64(item.offset)) : mask
            })
        }
    }

    /// Kleene evaluation over a partial assignment (class index per field, -1 = any class).
    func evaluate(_ test: Test, _ assignment: [Int]) -> Bool? {
        switch test {
        case .classes(let field, let mask):
            let assigned = assignment[field]
            if assigned >= 0 { return mask & (1 << UInt64(assigned)) != 0 }
            if mask == 0 { return false }
            if mask == fullMask[field] { return true }
            return nil
        case .all(let parts):
            var result: Bool? = true
            for part in parts {
                switch evaluate(part, assignment) {
                case .some(false): return false
                case .none: result = nil
                case .some(true): break
                }
            }
            return result
        case .any(let parts):
            var result: Bool? = false
            for part in parts {
                switch evaluate(part, assignment) {
                case .some(true): return true
                case .none: result = nil
                case .some(false): break
                }
            }
            return result
        case .not(let inner):
            return evaluate(inner, assignment).map { !$0 }
        }
    }

    /// An unassigned field whose class would settle an undecided `test`.
    func undecidedField(_ test: Test, _ assignment: [Int]) -> Int? {
        switch test {
        case .classes(let field, _):
            return evaluate(test, assignment) == nil ? field : nil
        case .all(let parts), .any(let parts):
            for part in parts where evaluate(part, assignment) == nil {
                if let field = undecidedField(part, assignment) { return field }
            }
            return nil
        case .not(let inner):
            return undecidedField(inner, assignment)
        }
    }

    /// A concrete call in the region `assignment` describes: fields left open keep `base`'s value.
    func call(for assignment: [Int], base: Call) -> Call {
        var call = base
        for field in Field.allCases where assignment[field.rawValue] >= 0 {
            let members = classes[field.rawValue][assignment[field.rawValue]]
            let current = field.code(in: base)
            let code: Int
            if members.contains(current) {
                code = current
            } else if field == .age {
                // Show the boundary a person would test: 17 for "under 18", 18 for "18 or over".
                code = members.last == Field.maximumAge ? members.first(where: { $0 >= 0 }) ?? members[0] : members.last!
            } else {
                code = members[0]
            }
            field.set(code, in: &call)
        }
        return call
    }

    /// The fields the region fixes, as `path: value` pairs, for messages.
    func describe(_ assignment: [Int], call: Call) -> String {
        let parts = Field.allCases.filter { assignment[$0.rawValue] >= 0 }.map { field in
            "\(field.path): \(field.describe(field.code(in: call)))"
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// How many class combinations an assignment covers (the open fields multiply).
    func combinations(_ assignment: [Int]) -> Double {
        Field.allCases.reduce(1.0) { count, field in
            assignment[field.rawValue] >= 0 ? count : count * Double(classes[field.rawValue].count)
        }
    }
}
