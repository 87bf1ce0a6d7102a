/// A configuration problem that stops start-up: where it came from, which setting, and what is wrong,
/// so that one line tells an operator what to fix.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file (with its line when known), the environment variable, or the command-line flag.
    public var source: String
    /// The setting's dotted path, e.g. `limits.max_body_bytes`; empty for a problem with the whole file.
    public var field: String
    public var problem: String

    public init(source: String, field: String, problem: String) {
        self.source = source
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "\(source): \(problem)" : "\(source): \(field): \(problem)"
    }
}
