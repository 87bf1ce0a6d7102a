import Foundation
import JSON
import Testing

@Suite struct CommitPipelineTests {
    /// Calls about one subject sent at once must still be decided one after another (they share
    /// a conflict key), or none would see the earlier ones and no repeat contact would be flagged.
    @Test func concurrentCallsAboutOneSubjectAreDecidedInTurn() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
            for index in 0..<10 {
                group.addTask {
                    try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-C\(index)", subject: "P-SAME"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 201 })
        let flagged = replies.filter { $0.json["flags"] == ["repeat_contact"] }.count
        #expect(flagged == 8)
        let recorded = try live.records().filter { $0.type == "call.triaged" }
        #expect(recorded.count == 10)
        // The first two recorded calls are the ones without the flag.
        #expect(recorded.prefix(2).allSatisfy { $0.body["decision"]?["flags"] == [] })
    }

    @Test func concurrentMovesOnOneHandoffNeverBothWin() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let id = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let partner = "dev-agency-demo-adult-social-care"
        async let accept = live.request("POST", "/v1/handoffs/\(id)/accept", key: partner, json: ["by": "a"])
        async let decline = live.request("POST", "/v1/handoffs/\(id)/decline", key: partner, json: ["by": "b", "reason": "other", "note": "n"])
        let statuses = try await [accept.status, decline.status].sorted()
        #expect(statuses == [200, 409])
        let moves = try live.records().filter { $0.type == "handoff.accepted" || $0.type == "handoff.declined" }
        #expect(moves.count == 1)
    }
}
