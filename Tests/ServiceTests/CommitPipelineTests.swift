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

    /// A call is decided on its event loop against the state it finds there; the committer keeps
    /// that decision only if the state still reads the same. Here an agency that covers the call's
    /// area is registered after the call was decided on the loop but before its batch: the call
    /// must be routed to it, not recorded unroutable. (The test above covers the other input,
    /// earlier calls about the same subject.)
    @Test func aCallDecidedBeforeAnAgencyChangeIsDecidedAgainOnTheNewState() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let outside = "E09000001"   // no adult social care agency covers it (LiveService.agencies)
        live.ledger.hold()
        let registered = Task {
            try await live.request("POST", "/v1/agencies", key: "dev-admin",
                                   json: ["id": "london-asc", "name": "London ASC", "kind": "adult_social_care", "areas": ["E09*"]])
        }
        while live.ledger.heldAppends == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let call = Task {
            try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-LATE", area: outside, subject: nil))
        }
        // Long enough for the call to be read, decided on its loop and queued behind the agency.
        try await Task.sleep(for: .milliseconds(150))
        live.ledger.release()
        #expect(try await registered.value.status == 201)
        let created = try await call.value
        #expect(created.status == 201)
        let handoff = try #require(created.json["handoffs"]?.arrayValue?.first { $0["agency_kind"] == "adult_social_care" })
        #expect(handoff["agency_id"] == "london-asc")
        #expect(handoff["status"] == "pending")
        // The record says the same as the answer.
        let recorded = try #require(try live.records().last { $0.type == "call.triaged" })
        #expect(recorded.body["handoffs"]?.arrayValue?.contains { $0["agency_id"] == "london-asc" } == true)
    }

    /// An agency registered and a call queued behind it, both waiting for the same batch: the
    /// call must not share the registration's batch (it would be decided without the agency yet
    /// recorded after it), so it is routed to the new agency, and recorded after it.
    @Test func aCallQueuedBehindAnAgencyRegistrationIsRoutedToIt() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let outside = "E09000001"   // no adult social care agency covers it (LiveService.agencies)
        live.ledger.hold()
        // Something in the ledger, so that the next two wait in the committer's queue together.
        let blocker = Task { try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-FIRST", subject: nil)) }
        while live.ledger.heldAppends == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let registered = Task {
            try await live.request("POST", "/v1/agencies", key: "dev-admin",
                                   json: ["id": "london-asc", "name": "London ASC", "kind": "adult_social_care", "areas": ["E09*"]])
        }
        try await Task.sleep(for: .milliseconds(150))
        let call = Task {
            try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-BEHIND", area: outside, subject: nil))
        }
        try await Task.sleep(for: .milliseconds(150))
        live.ledger.release()
        #expect(try await blocker.value.status == 201)
        #expect(try await registered.value.status == 201)
        let created = try await call.value
        #expect(created.status == 201)
        let handoff = try #require(created.json["handoffs"]?.arrayValue?.first { $0["agency_kind"] == "adult_social_care" })
        #expect(handoff["agency_id"] == "london-asc")
        let records = try live.records()
        let registration = try #require(records.first { $0.type == "agency.registered" && $0.body["agency"]?["id"] == "london-asc" })
        let recorded = try #require(records.first { $0.type == "call.triaged" && $0.body["call"]?["incident_ref"] == "CAD-BEHIND" })
        #expect(recorded.seq > registration.seq)
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
