import ArgumentParser
import Testing
@testable import App

@Suite struct CheckRulesCommandTests {
    @Test func committedRulesPass() throws {
        let command = try CheckRulesCommand.parse([repositoryRoot + "/config/rules"])
        try command.run()
    }

    @Test func missingRuleSetFailsWithNonZeroExit() throws {
        let command = try CheckRulesCommand.parse(["/nonexistent/rules"])
        #expect(throws: ExitCode(1)) { try command.run() }
    }
}
