/// One thing wrong with one field of a request, e.g. `risk.immediacy`: unknown value 'now'.
public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
    /// The field's path in API names: `risk.immediacy`, `partner_steps_taken[1]`.
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }
}

/// A call body was refused: every problem found in it, so the sender can fix them in one go.
public struct CallValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let problems: [FieldProblem]

    public init(problems: [FieldProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
