import Foundation
import JSON
import Testing
import TestSupport

/// Stats and filtered call lists are computed from copies taken under the state lock, outside
/// it: the figures must be exactly those a scan under the lock gave (pinned here).
@Suite struct StatsSnapshotTests {
    let partner = "dev-agency-demo-adult-social-care"

    /// Five calls a minute apart: four about the same person (the third and fourth are repeat
    /// contacts), one where police attend, one nobody covers; one handoff acknowledged then accepted,
    /// one declined.
    func scenario(_ live: LiveService, _ clock: TestClock) async throws -> [String] {
        var callIDs: [String] = []
        var handoffIDs: [String] = []
        for call in [Calls.careNeed("CAD-1"), Calls.careNeed("CAD-2"), Calls.careNeed("CAD-3"),
                     Calls.crimeOccurring("CAD-4"), Calls.careNeed("CAD-5", area: "W06000001", subject: nil)] {
            let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: call)
            #expect(created.status == 201)
            callIDs.append(created.json["call_id"]?.stringValue ?? "")
            handoffIDs.append(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue ?? "")
            clock.advance(minutes: 1)
        }
        clock.advance(minutes: 1)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffIDs[0])/acknowledge", key: partner, json: ["by": "x"])
        clock.advance(minutes: 3)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffIDs[0])/accept", key: partner, json: ["by": "x"])
        _ = try await live.request("POST", "/v1/handoffs/\(handoffIDs[1])/decline", key: partner,
                                   json: ["by": "x", "reason": "no_capacity", "note": "none free"])
        return callIDs
    }

    @Test func statsOverACopyMatchTheFiguresOfAScanUnderTheLock() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let start = clock.now
        _ = try await scenario(live, clock)
        let all = try await live.request("GET", "/v1/stats", key: "dev-supervisor")
        #expect(all.status == 200)
        #expect(all.text == """
            {"from":null,"to":null,"calls":{"total":5,"by_call_type":{"concern_for_welfare":5},"by_outcome":{"handoff":4,"police_attend":1},\
            "by_call_type_and_outcome":{"concern_for_welfare":{"handoff":4,"police_attend":1}}},"police_deployment_rate":0.2,\
            "police_deployments":1,"avoided_deployments":4,"officer_hours_released":22.8,"handoffs_by_status":{"accepted":1,\
            "acknowledged":0,"cancelled":0,"completed":0,"declined":1,"escalated":0,"pending":1,"unroutable":1},\
            "acknowledge_minutes":{"count":1,"median":6.0,"p90":6.0},"accept_minutes":{"count":1,"median":9.0,"p90":9.0},\
            "escalations":2,"escalations_by_kind":{"declined":1,"escalated":0,"unroutable":1},"repeat_contact_flags":2}
            """)
        let from = RFC3339.format(start.addingTimeInterval(90))
        let to = RFC3339.format(start.addingTimeInterval(210))
        let window = try await live.request("GET", "/v1/stats?from=\(from)&to=\(to)", key: "dev-auditor")
        #expect(window.json["calls"]?["total"]?.intValue == 2)
        #expect(window.json["calls"]?["by_outcome"] == ["handoff": 1, "police_attend": 1])
        #expect(window.json["repeat_contact_flags"]?.intValue == 2)
        #expect(window.json["handoffs_by_status"]?["pending"]?.intValue == 1)
    }

    @Test func aRareFilterPagesThroughEveryCallOverACopy() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let callIDs = try await scenario(live, clock)
        let rare = try await live.request("GET", "/v1/calls?outcome=police_attend", key: "dev-supervisor")
        #expect(rare.json["calls"]?.arrayValue?.compactMap { $0["call_id"]?.stringValue } == [callIDs[3]])
        #expect(rare.json["next_cursor"] == .null)
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await live.request("GET", "/v1/calls?outcome=handoff&limit=2&cursor=\(cursor)", key: "dev-auditor").json
            seen += page["calls"]?.arrayValue?.compactMap { $0["call_id"]?.stringValue } ?? []
            cursor = page["next_cursor"]?.stringValue ?? ""
        } while !cursor.isEmpty
        #expect(seen == [callIDs[0], callIDs[1], callIDs[2], callIDs[4]])
        let read = try #require(try live.records().last { $0.type == "data.read" && $0.body["endpoint"]?.stringValue == "GET /v1/calls" })
        #expect(read.body["call_ids"] == [.string(callIDs[2]), .string(callIDs[4])])
    }
}
