import ArgumentParser
import Triage

/// `rcrp-router check-rules [PATH]`: validate a rule set, prove its invariants and run its fixture
/// tests before it goes live; ends with `N passed, M failed` and exits non-zero on any failure.
struct CheckRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-rules",
        abstract: "Validate rule sets and run their fixture tests."
    )

    @Argument(help: "A rule-set file or a directory holding one (default: config/rules).")
    var path = "config/rules"

    func run() throws {
        let ok = RuleCheck.run(path: path) { print($0) }
        if !ok { throw ExitCode(1) }
    }
}
