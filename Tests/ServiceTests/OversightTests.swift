import Foundation
import JSON
import Testing
import TestSupport

@Suite struct OversightTests {
    @Test func statsCountOutcomesDeploymentsAndOfficerHoursReleased() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock) { $0.officerHours = ["concern_for_welfare": 4.0] }
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-1", subject: nil))
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-2", subject: nil))
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.crimeOccurring("CAD-3"))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        clock.advance(minutes: 2)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffID)/acknowledge", key: "dev-agency-demo-adult-social-care", json: ["by": "x"])
        let stats = try await live.request("GET", "/v1/stats", key: "dev-supervisor")
        #expect(stats.status == 200)
        let json = stats.json
        #expect(json["calls"]?["total"]?.intValue == 3)
        #expect(json["calls"]?["by_outcome"]?["handoff"]?.intValue == 2)
        #expect(json["police_deployment_rate"]?.doubleValue.map { abs($0 - 1.0 / 3.0) < 1e-9 } == true)
        #expect(json["officer_hours_released"]?.doubleValue == 8.0)
        #expect(json["handoffs_by_status"]?["acknowledged"]?.intValue == 1)
        #expect(json["acknowledge_minutes"]?["median"]?.doubleValue == 2)
        #expect(json["escalations"]?.intValue == 0)
        let empty = try await live.request("GET", "/v1/stats?from=2030-01-01T00:00:00Z", key: "dev-auditor")
        #expect(empty.json["calls"]?["total"]?.intValue == 0)
    }

    @Test func theAuditFeedShowsTheLedgersOwnRecordsAndTheChainVerifies() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let page = try await live.request("GET", "/v1/audit?limit=500", key: "dev-auditor")
        #expect(page.status == 200)
        let records = page.json["records"]?.arrayValue ?? []
        #expect(records.first?["seq"]?.intValue == 1)
        #expect(records.contains { $0["type"]?.stringValue == "call.triaged" })
        #expect(records.allSatisfy { $0["hash"]?.stringValue != nil && $0["prev_hash"]?.stringValue != nil })
        let cursor = try #require(page.json["next_cursor"]?.stringValue)
        let next = try await live.request("GET", "/v1/audit?after=\(cursor)", key: "dev-auditor")
        // Reading the call's record was itself logged (s62): it is the only thing after the cursor.
        #expect(next.json["records"]?.arrayValue?.map { $0["type"]?.stringValue } == ["data.read"])
        let end = try await live.request("GET", "/v1/audit?after=18446744073709551615", key: "dev-auditor")
        #expect(end.status == 200 && end.json["records"]?.arrayValue?.isEmpty == true)
        let verify = try await live.request("GET", "/v1/audit/verify", key: "dev-auditor")
        #expect(verify.json["ok"]?.boolValue == true)
        #expect(verify.json["head_hash"]?.stringValue?.count == 64)
    }

    /// The walk reads the stored chain again each time: an edit made on disk after an earlier
    /// successful check is found, not covered by it.
    @Test func verifyFindsAnEditMadeAfterAnEarlierSuccessfulCheck() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let posted = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-EDIT"))
        #expect(posted.status == 201)
        let before = try await live.request("GET", "/v1/audit/verify", key: "dev-auditor")
        #expect(before.json["ok"]?.boolValue == true)

        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: live.directory).first { $0.hasSuffix(".log") })
        let path = live.directory + "/" + name
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let found = try #require(bytes.firstRange(of: Array("CAD-EDIT".utf8)))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(found.lowerBound + 4))
        try handle.write(contentsOf: Array("X".utf8))
        try handle.close()

        let after = try await live.request("GET", "/v1/audit/verify", key: "dev-auditor")
        #expect(after.status == 200)
        #expect(after.json["ok"]?.boolValue == false)
        #expect(after.json["problem"]?.stringValue?.contains(name) == true)
    }

    @Test func metricsCountRequestsDecisionsAndLedgerAppends() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let text = try await live.request("GET", "/metrics", key: nil).text
        #expect(text.contains("rcrp_http_requests_total"))
        #expect(text.contains("route=\"/v1/calls\""))
        #expect(text.contains("rcrp_decisions_total{outcome=\"handoff\"}"))
        #expect(text.contains("rcrp_ledger_append_seconds"))
        #expect(text.contains("rcrp_handoffs{status=\"pending\"}"))
        #expect(text.contains("rcrp_open_connections"))
    }
}
