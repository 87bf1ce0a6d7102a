/// Every problem found in a request body, so that the caller can fix them all at once (HTTP 422).
public struct BodyValidationError: Error, Sendable, Hashable {
    public var problems: [BodyProblem]

    public init(_ problems: [BodyProblem]) {
        self.problems = problems
    }
}
