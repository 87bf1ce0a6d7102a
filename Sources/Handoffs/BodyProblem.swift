/// A field of a request body that is wrong, and why (API.md's `errors[]`).
public struct BodyProblem: Sendable, Hashable {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
}
