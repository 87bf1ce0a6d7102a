import Foundation
import JSON
import Testing
import TestSupport

/// Commands decided in one batch all see the state before it: two that move the same handoff
/// (a retriage cancelling it, a partner or the deadline timer moving it) must never share one,
/// or the second record could not be folded — the service would refuse every write and a
/// restart would stop at that record.
@Suite struct BatchConflictTests {
    /// Stalls the committer on an unrelated write so that what follows queues up behind it.
    func stallCommitter(_ live: LiveService) async throws -> Task<Reply, Error> {
        live.ledger.hold()
        let blocker = Task {
            try await live.request("POST", "/v1/agencies", key: "dev-admin",
                                   json: ["id": "blocker", "name": "B", "kind": "other", "areas": ["*"]])
        }
        while live.ledger.heldAppends == 0 { try await Task.sleep(for: .milliseconds(5)) }
        return blocker
    }

    @Test func aPartnerMoveQueuedBehindARetriageThatCancelsItsHandoffIsRefusedNotFolded() async throws {
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let live = try await LiveService(directory: directory)
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let blocker = try await stallCommitter(live)
        // Crime occurring: police only, so the retriage cancels the social-care handoff.
        let retriage = Task {
            try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room", json: ["risk": ["crime": "occurring"]])
        }
        try await Task.sleep(for: .milliseconds(150))
        let acknowledge = Task {
            try await live.request("POST", "/v1/handoffs/\(handoffID)/acknowledge", key: "dev-agency-demo-adult-social-care", json: ["by": "x"])
        }
        try await Task.sleep(for: .milliseconds(150))
        live.ledger.release()
        #expect(try await blocker.value.status == 201)
        #expect(try await retriage.value.status == 200)
        #expect(try await acknowledge.value.status == 409)
        #expect(try await live.request("GET", "/readyz", key: nil).status == 200)
        await live.stop()
        let restarted = try await LiveService(directory: directory)
        defer { Task { await restarted.stop() } }
        #expect(try await restarted.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json["status"]?.stringValue == "cancelled")
    }

    @Test func aDeadlineEscalationQueuedBehindARetriageThatCancelsItsHandoffIsDropped() async throws {
        let clock = TestClock()
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let live = try await LiveService(directory: directory, clock: clock)
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        clock.advance(minutes: 11)
        let blocker = try await stallCommitter(live)
        let retriage = Task {
            try await live.request("POST", "/v1/calls/\(callID)/retriage", key: "dev-control-room", json: ["risk": ["crime": "occurring"]])
        }
        try await Task.sleep(for: .milliseconds(150))
        let deadlines = Task { await live.service.checkDeadlines() }
        try await Task.sleep(for: .milliseconds(150))
        live.ledger.release()
        #expect(try await blocker.value.status == 201)
        #expect(try await retriage.value.status == 200)
        await deadlines.value
        #expect(try await live.request("GET", "/readyz", key: nil).status == 200)
        await live.stop()
        let restarted = try await LiveService(directory: directory, clock: clock)
        defer { Task { await restarted.stop() } }
        #expect(try await restarted.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json["status"]?.stringValue == "cancelled")
    }
}
