import Foundation
import JSON
import Testing

/// A partner move answers with the handoff as its durable record left it, and a replay with
/// the same `Idempotency-Key` answers exactly that again.
@Suite struct HandoffMoveAnswerTests {
    let partner = "dev-agency-demo-adult-social-care"

    @Test func aPartnerMoveAnswersWithTheHandoffAsTheMoveLeftIt() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let id = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let acknowledged = try await live.request("POST", "/v1/handoffs/\(id)/acknowledge", key: partner, json: ["by": "duty worker"])
        #expect(acknowledged.status == 200)
        #expect(acknowledged.json["history"]?.arrayValue?.compactMap { $0["status"]?.stringValue } == ["pending", "acknowledged"])
        #expect(acknowledged.json["acknowledged_at"]?.stringValue != nil)
        let record = try #require(try live.records().last { $0.type == "handoff.acknowledged" })
        #expect(acknowledged.json["cursor"]?.stringValue == String(record.seq))
        #expect(acknowledged.json["updated_at"]?.stringValue == RFC3339.format(record.at))
        let fetched = try await live.request("GET", "/v1/handoffs/\(id)", key: partner)
        #expect(acknowledged.json == fetched.json)
    }

    @Test func aReplayedMoveAnswersExactlyAsTheFirstTimeEvenAfterLaterMoves() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let id = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let key = [("Idempotency-Key", "accept-\(id)")]
        let accepted = try await live.request("POST", "/v1/handoffs/\(id)/accept", key: partner,
                                              json: ["by": "duty worker", "note": "visiting at 3"], headers: key)
        #expect(accepted.status == 200)
        #expect(accepted.json["history"]?.arrayValue?.compactMap { $0["status"]?.stringValue } == ["pending", "accepted"])
        #expect(accepted.json["accepted_at"]?.stringValue != nil)
        _ = try await live.request("POST", "/v1/handoffs/\(id)/complete", key: partner, json: ["by": "duty worker"])
        let replayed = try await live.request("POST", "/v1/handoffs/\(id)/accept", key: partner,
                                              json: ["by": "duty worker", "note": "visiting at 3"], headers: key)
        #expect(replayed.header("Idempotent-Replayed") == "true")
        #expect(replayed.body == accepted.body)
        #expect(replayed.json["status"]?.stringValue == "accepted")
    }
}
