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
            // Every call type × caller type × legal status × flag × step combination is covered.
            #expect(validated.combinations >= Double(CallType.allCases.count * CallerType.allCases.count))
        case .failure(let error):
            Issue.record("\(error)")
        }
    }
}

@Suite struct ShippedFixtureTests {
    /// The same check `rcrp-router check-rules` runs on the shipped configuration.
    @Test func theShippedRulesPassEveryFixtureAndEveryRuleIsExercised() throws {
        var lines: [String] = []
        let ok = RuleCheck.run(path: rulesDirectory) { lines.append($0) }
        let summary = try #require(lines.last)
        #expect(ok, "\(lines.joined(separator: "\n"))")
        #expect(summary.hasSuffix(" passed, 0 failed"))
        let passed = Int(summary.split(separator: " ")[0]) ?? 0
        #expect(passed >= 60)
    }

    @Test func everyVignetteIsAFixture() throws {
        let vignettes = try String(contentsOfFile: (rulesDirectory as NSString).appendingPathComponent("tests/vignettes.yaml"), encoding: .utf8)
        for name in ["overdose-taken-now", "neighbour-not-seen-for-a-week", "gp-missed-appointment",
                     "voluntary-ed-patient-leaves-with-cannula", "s3-late-back-from-leave-known-address",
                     "restricted-patient-absconds", "amhp-asks-police-to-convey-compliant-patient",
                     "conveyance-with-violence-and-escape-risk", "s136-arrival-calm", "teenager-assaulted-now",
                     "might-hurt-himself-next-week", "mh-service-reports-client-left-feeling-suicidal"] {
            #expect(vignettes.contains("- name: \(name)\n"), "\(name)")
        }
    }
}
