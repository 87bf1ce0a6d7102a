import Foundation
import Testing
@testable import Triage

/// The repository's `config/rules`, found from this file so `swift test` works from any directory.
let rulesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("config/rules").path
}()

@Suite struct EnglandRuleSetTests {
    @Test func theEnglandRuleSetLoads() throws {
        let file = try RuleSetLoader.ruleFile(at: rulesDirectory)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        switch RuleSetLoader.validateWithStatistics(yaml: text, file: file) {
        case .success(let validated):
            #expect(validated.ruleSet.name == "rcrp-england")
            print("regions \(validated.regions) combinations \(validated.combinations)")
        case .failure(let error):
            Issue.record("\(error)")
        }
    }
}
