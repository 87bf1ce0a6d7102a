import Foundation
import JSON
import Testing

@Suite struct DecisionChangeTests {
    @Test func retriageWithNewFactsSupersedesTheDecisionAndCancelsUnwantedHandoffs() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let callID = try #require(created.json["call_id"]?.stringValue)
        let firstHandoff = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let retriaged = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                               json: ["risk": ["crime": "occurring"]])
        #expect(retriaged.status == 200)
        #expect(retriaged.json["police_attend"]?.boolValue == true)
        #expect(retriaged.json["supersedes"] == created.json["decision_id"])
        let call = try await live.request("GET", "/v1/calls/\(callID)", key: "dev-supervisor").json
        #expect(call["decisions"]?.arrayValue?.count == 2)
        #expect(call["call"]?["risk"]?["crime"]?.stringValue == "occurring")
        #expect(call["call"]?["risk"]?["care_need"]?.boolValue == true)
        // Crime occurring: the rule set sends police only, so the social-care handoff is no longer wanted.
        #expect(retriaged.json["agency_kinds"] == [])
        #expect(retriaged.json["cancelled_handoffs"] == [.string(firstHandoff)])
        let handoff = try await live.request("GET", "/v1/handoffs/\(firstHandoff)", key: "dev-supervisor").json
        #expect(handoff["status"]?.stringValue == "cancelled")
        #expect(handoff["history"]?.arrayValue?.last?["reason"]?.stringValue == "retriage")
        let invalid = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                             json: ["risk": ["immediacy": "soon"]])
        #expect(invalid.status == 422)
        let missing = try await live.request("POST", "/v1/calls/c_nope/retriage", key: "dev-control-room", json: ["notes": "x"])
        #expect(missing.status == 404)
    }

    @Test func aSupervisorOverrideIsRecordedWithReasonAndReviewer() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let overridden = try await live.request("POST", "/v1/calls/\(callID)/override", key: "dev-supervisor",
                                                json: ["outcome": "police_attend", "reason": "Known weapons marker", "reviewer": "Insp. Shah"])
        #expect(overridden.status == 200)
        #expect(overridden.json["outcome"]?.stringValue == "police_attend")
        #expect(overridden.json["override"]?["reviewer"]?.stringValue == "Insp. Shah")
        // Police attending does not end social care's part unless the supervisor says so.
        #expect(overridden.json["cancelled_handoffs"]?.arrayValue?.isEmpty ?? true)
        let record = try #require(try live.records().last { $0.type == "call.overridden" })
        #expect(record.actor == "dev-supervisor")
        #expect(record.body["decision"]?["override"]?["reason"]?.stringValue == "Known weapons marker")
        let policeOnly = try await live.request("POST", "/v1/calls/\(callID)/override", key: "dev-supervisor",
                                                json: ["outcome": "police_attend", "reason": "Police only", "reviewer": "Insp. Shah", "agency_kinds": []])
        #expect(policeOnly.status == 200)
        #expect(policeOnly.json["cancelled_handoffs"] == [.string(handoffID)])
        let missingReason = try await live.request("POST", "/v1/calls/\(callID)/override", key: "dev-supervisor",
                                                   json: ["outcome": "handoff", "reviewer": "x", "agency_kinds": ["nobody"]])
        #expect(missingReason.status == 422)
        let fields = Set(missingReason.json["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["reason", "agency_kinds[0]"])
    }

    @Test func theControlRoomRecordsThatTheCallerWasTold() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let callID = try #require(created.json["call_id"]?.stringValue)
        let informed = try await live.request("POST", "/v1/calls/\(callID)/caller-informed", key: "dev-control-room",
                                              json: ["by": "call handler 12", "at": "2026-11-22T10:20:00Z"])
        #expect(informed.status == 200)
        #expect(informed.json["caller_informed"]?["by"]?.stringValue == "call handler 12")
        let call = try await live.request("GET", "/v1/calls/\(callID)", key: "dev-auditor").json
        #expect(call["caller_informed"]?["at"]?.stringValue == "2026-11-22T10:20:00Z")
        #expect(call["decisions"]?.arrayValue?.first?["by"]?.stringValue == "rule_engine")
    }

    @Test func aBadRuleSetIsRefusedWithEveryProblemAndTheOldSetKept() async throws {
        let rulesDirectory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: rulesDirectory) }
        let good = try String(contentsOfFile: TestRules.path + "/rcrp-england.yaml", encoding: .utf8)
        try good.write(toFile: rulesDirectory + "/rules.yaml", atomically: true, encoding: .utf8)
        let live = try await LiveService(rulesPath: rulesDirectory)
        defer { Task { await live.stop() } }
        let before = try await live.request("GET", "/v1/rules", key: "dev-auditor").json["revision"]
        try "name: broken\nrules:\n  - id: x\n    priority: nope\n".write(toFile: rulesDirectory + "/rules.yaml", atomically: true, encoding: .utf8)
        let reload = try await live.request("POST", "/v1/rules/reload", key: "dev-admin")
        #expect(reload.status == 422)
        #expect((reload.json["errors"]?.arrayValue?.count ?? 0) >= 1)
        #expect(try await live.request("GET", "/v1/rules", key: "dev-auditor").json["revision"] == before)
        #expect(try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed()).status == 201)
        try good.write(toFile: rulesDirectory + "/rules.yaml", atomically: true, encoding: .utf8)
        let fixed = try await live.request("POST", "/v1/rules/reload", key: "dev-admin")
        #expect(fixed.status == 200)
        #expect(fixed.json["revision"] == before)
    }
}
