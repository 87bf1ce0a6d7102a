import Foundation
import JSON
import Testing
import TestSupport

/// Where a retriage sends the call: never straight back to an agency that declined it, and not
/// again to one that has already done its part; but again to one that only missed a deadline.
@Suite struct RetriageRoutingTests {
    let partner = "dev-agency-demo-adult-social-care"

    @Test func aRetriageNeverHandsTheCallBackToTheAgencyThatDeclinedIt() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffID)/decline", key: partner,
                                   json: ["by": "duty worker", "reason": "not_appropriate", "note": "not ours"])
        // Same facts, same decision: adult social care is still wanted, but only the agency that
        // declined covers the area, so the new handoff escalates as unroutable.
        let retriaged = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                               json: ["notes": "Neighbour called again."])
        #expect(retriaged.status == 200)
        let again = try #require(retriaged.json["handoffs"]?.arrayValue?.first)
        #expect(again["agency_id"] == .null)
        #expect(again["status"]?.stringValue == "unroutable")
        let escalations = try await live.request("GET", "/v1/escalations", key: "dev-control-room").json
        #expect(escalations["escalations"]?.arrayValue?.compactMap { $0["handoff_id"]?.stringValue }.contains(again["handoff_id"]?.stringValue ?? "") == true)
        // Another agency for the area: the next retriage sends it there.
        _ = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: [
            "id": "county-asc", "name": "County ASC", "kind": "adult_social_care", "areas": ["E06*"],
        ])
        let routed = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                            json: ["notes": "Still no answer at the door."])
        #expect(routed.json["handoffs"]?.arrayValue?.map { $0["agency_id"]?.stringValue } == ["county-asc"])
        #expect(routed.json["cancelled_handoffs"] == [again["handoff_id"] ?? .null])
    }

    /// A missed deadline is not a refusal (docs/SERVICE.md, "Retriage and override"): the only
    /// agency for the area is asked again, with new deadlines, instead of nobody.
    @Test func aRetriageAfterADeadlineEscalationAsksTheSameAgencyAgainWithNewDeadlines() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let first = try #require(created.json["handoffs"]?.arrayValue?.first)
        let firstID = try #require(first["handoff_id"]?.stringValue)
        clock.advance(minutes: 60 * 24)
        await live.service.checkDeadlines()
        #expect(try await live.request("GET", "/v1/handoffs/\(firstID)", key: partner).json["status"]?.stringValue == "escalated")
        let retriaged = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                               json: ["notes": "Partner did not answer; asking again."])
        #expect(retriaged.status == 200)
        let again = try #require(retriaged.json["handoffs"]?.arrayValue?.first)
        #expect(again["agency_id"] == first["agency_id"])
        #expect(again["handoff_id"] != first["handoff_id"])
        #expect(again["status"]?.stringValue == "pending")
        let newDeadline = try #require(again["acknowledge_by"]?.stringValue)
        let oldDeadline = try #require(first["acknowledge_by"]?.stringValue)
        #expect(newDeadline > oldDeadline)
        #expect(retriaged.json["cancelled_handoffs"] == [])
    }

    @Test func aRetriageDoesNotDuplicateACompletedHandoff() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffID)/accept", key: partner, json: ["by": "duty worker"])
        _ = try await live.request("POST", "/v1/handoffs/\(handoffID)/complete", key: partner, json: ["by": "duty worker"])
        let retriaged = try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room",
                                               json: ["notes": "Visited; recorded for the file."])
        #expect(retriaged.status == 200)
        #expect(retriaged.json["handoffs"] == [])
        #expect(retriaged.json["cancelled_handoffs"] == [])
    }
}
