import Foundation
import JSON
import Testing
import TestSupport

@Suite struct HandoffEndpointTests {
    /// Posts the care-need call and returns its handoff id (to demo-adult-social-care).
    func handoff(_ live: LiveService, ref: String = "CAD-H") async throws -> String {
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(ref, subject: nil))
        return try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
    }

    let partner = "dev-agency-demo-adult-social-care"

    @Test func aPartnerAcknowledgesAcceptsAndCompletesItsHandoff() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let id = try await handoff(live)
        let acknowledged = try await live.request("POST", "/v1/handoffs/\(id)/acknowledge", key: partner, json: ["by": "duty worker"])
        #expect(acknowledged.status == 200)
        #expect(acknowledged.json["status"]?.stringValue == "acknowledged")
        let accepted = try await live.request("POST", "/v1/handoffs/\(id)/accept", key: partner, json: ["by": "duty worker", "note": "visiting at 3"])
        #expect(accepted.json["status"]?.stringValue == "accepted")
        let completed = try await live.request("POST", "/v1/handoffs/\(id)/complete", key: partner, json: ["by": "duty worker"])
        #expect(completed.json["status"]?.stringValue == "completed")
        let fetched = try await live.request("GET", "/v1/handoffs/\(id)", key: partner)
        #expect(fetched.json["history"]?.arrayValue?.compactMap { $0["status"]?.stringValue } == ["pending", "acknowledged", "accepted", "completed"])
        #expect(fetched.json["call"]?["incident_ref"]?.stringValue == "CAD-H")
        #expect(fetched.json["decision"]?["rule"]?["rationale"]?.stringValue?.isEmpty == false)
    }

    @Test func acceptingADeclinedHandoffIs409AndRepeatingAMoveChangesNothing() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let id = try await handoff(live)
        let declined = try await live.request("POST", "/v1/handoffs/\(id)/decline", key: partner,
                                              json: ["by": "duty worker", "reason": "no_capacity", "note": "no staff tonight"])
        #expect(declined.status == 200)
        let recordsAfterDecline = try live.records().count
        let again = try await live.request("POST", "/v1/handoffs/\(id)/decline", key: partner,
                                           json: ["by": "duty worker", "reason": "no_capacity", "note": "no staff tonight"])
        #expect(again.status == 200)
        #expect(again.json["status"]?.stringValue == "declined")
        #expect(try live.records().count == recordsAfterDecline)
        let accept = try await live.request("POST", "/v1/handoffs/\(id)/accept", key: partner, json: ["by": "x"])
        #expect(accept.status == 409)
        #expect(accept.json["status"]?.intValue == 409)
        let badReason = try await live.request("POST", "/v1/handoffs/\(id)/decline", key: partner, json: ["by": "x", "reason": "busy"])
        #expect(badReason.status == 422)
    }

    @Test func aDeclinedHandoffReturnsToTheControlRoom() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let id = try await handoff(live)
        _ = try await live.request("POST", "/v1/handoffs/\(id)/decline", key: partner, json: ["by": "x", "reason": "not_appropriate", "note": "n"])
        let feed = try await live.request("GET", "/v1/escalations", key: "dev-control-room")
        #expect(feed.status == 200)
        #expect(feed.json["escalations"]?.arrayValue?.map { $0["handoff_id"]?.stringValue } == [id])
        #expect(feed.json["escalations"]?.arrayValue?.first?["decline_reason"]?.stringValue == "not_appropriate")
    }

    @Test func anUnroutableHandoffEscalatesAtOnce() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-U", area: "W06000001", subject: nil))
        #expect(created.status == 201)
        let handoff = try #require(created.json["handoffs"]?.arrayValue?.first)
        #expect(handoff["status"]?.stringValue == "unroutable")
        #expect(handoff["agency_id"] == .null)
        let feed = try await live.request("GET", "/v1/escalations", key: "dev-supervisor")
        #expect(feed.json["escalations"]?.arrayValue?.first?["status"]?.stringValue == "unroutable")
    }

    @Test func anUnacknowledgedHandoffEscalatesWhenItsDeadlinePasses() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let id = try await handoff(live)
        clock.advance(minutes: 9)
        await live.service.checkDeadlines()
        #expect(try await live.request("GET", "/v1/handoffs/\(id)", key: partner).json["status"]?.stringValue == "pending")
        clock.advance(minutes: 1)
        await live.service.checkDeadlines()
        let escalated = try await live.request("GET", "/v1/handoffs/\(id)", key: partner).json
        #expect(escalated["status"]?.stringValue == "escalated")
        #expect(escalated["escalation_cause"]?.stringValue == "acknowledge_deadline")
        let record = try #require(try live.records().last { $0.type == "handoff.escalated" })
        #expect(record.actor == "system:deadline")
        let late = try await live.request("POST", "/v1/handoffs/\(id)/accept", key: partner, json: ["by": "x"])
        #expect(late.status == 409)
    }

    @Test func deadlinesSurviveARestart() async throws {
        let clock = TestClock()
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await LiveService(directory: directory, clock: clock)
        let id = try await handoff(first)
        _ = try await first.request("POST", "/v1/handoffs/\(id)/acknowledge", key: partner, json: ["by": "x"])
        await first.stop()
        clock.advance(minutes: 31)
        let live = try await LiveService(directory: directory, clock: clock)
        defer { Task { await live.stop() } }
        await live.service.checkDeadlines()
        let handoff = try await live.request("GET", "/v1/handoffs/\(id)", key: partner).json
        #expect(handoff["status"]?.stringValue == "escalated")
        #expect(handoff["escalation_cause"]?.stringValue == "accept_deadline")
    }

    @Test func anS136HandoverMustBeAcceptedWithinAnHourOfArrival() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let arrived = clock.now.addingTimeInterval(-15 * 60)
        let call: JSONValue = [
            "incident_ref": "CAD-S136", "call_type": "s136_handover", "caller": ["type": "police"],
            "location": ["area": "E06000031", "setting": "place_of_safety"],
            "risk": ["violence": false], "s136": ["arrived_at": .string(RFC3339.format(arrived))],
        ]
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: call)
        #expect(created.status == 201)
        let handoffs = created.json["handoffs"]?.arrayValue ?? []
        let trust = try #require(handoffs.first { $0["agency_kind"]?.stringValue == "mental_health_trust" })
        #expect(trust["accept_by"]?.stringValue == RFC3339.format(arrived.addingTimeInterval(3600)))
    }

    /// An override reads the arrival from the recorded call: a handoff it adds to an s136
    /// handover keeps the same one-hour clock.
    @Test func anOverrideOnAnS136HandoverKeepsTheHourFromArrival() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let arrived = clock.now.addingTimeInterval(-20 * 60)
        let call: JSONValue = [
            "incident_ref": "CAD-S136-O", "call_type": "s136_handover", "caller": ["type": "police"],
            "location": ["area": "E06000031", "setting": "place_of_safety"],
            "risk": ["violence": false], "s136": ["arrived_at": .string(RFC3339.format(arrived))],
        ]
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: call)
        let callID = try #require(created.json["call_id"]?.stringValue)
        let kinds = (created.json["agency_kinds"]?.arrayValue ?? []) + ["adult_social_care"]
        clock.advance(minutes: 5)
        let overridden = try await live.request("POST", "/v1/calls/\(callID)/override", key: "dev-supervisor", json: [
            "outcome": "handoff", "reason": "Needs a care assessment too", "reviewer": "Insp. Example", "agency_kinds": .array(kinds),
        ])
        #expect(overridden.status == 200)
        let added = try #require(overridden.json["handoffs"]?.arrayValue?.first { $0["agency_kind"]?.stringValue == "adult_social_care" })
        #expect(added["accept_by"]?.stringValue == RFC3339.format(arrived.addingTimeInterval(3600)))
    }

    /// The wake-up itself takes microseconds; the answer also waits for the fsync of its data.read
    /// record. On a shared machine one fsync can stall, so the median of five rounds is held to 50 ms.
    @Test func aLongPollWakesWithin50msOfANewHandoff() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let start = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs", key: partner)
        var cursor = try #require(start.json["next_cursor"]?.stringValue)
        var latencies: [Duration] = []
        for round in 1...5 {
            let after = cursor
            let poller = Task { () -> (Reply, ContinuousClock.Instant) in
                let reply = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs?after=\(after)&wait=10", key: partner)
                return (reply, ContinuousClock.now)
            }
            try await Task.sleep(for: .milliseconds(100))
            let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-LP\(round)", subject: nil))
            let durable = ContinuousClock.now
            let (answered, answeredAt) = try await poller.value
            // From the moment the new handoff was durable (its 201 arrived) to the poll's answer.
            latencies.append(answeredAt - durable)
            #expect(answered.status == 200)
            #expect(answered.json["handoffs"]?.arrayValue?.first?["handoff_id"] == created.json["handoffs"]?.arrayValue?.first?["handoff_id"])
            cursor = try #require(answered.json["next_cursor"]?.stringValue)
        }
        let median = latencies.sorted()[2]
        #expect(median < .milliseconds(50), "poll answers came \(latencies) after the handoff was durable")
        let empty = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs?after=\(cursor)&wait=0", key: partner)
        #expect(empty.json["handoffs"] == [])
        #expect(empty.json["next_cursor"]?.stringValue == cursor)
        #expect(try live.records().contains { $0.type == "data.read" && $0.body["endpoint"]?.stringValue == "GET /v1/agencies/{id}/handoffs" })
    }

    /// A poll keeps what it was asked while it waits, packed: its limit, GET or HEAD, and whose
    /// key reads. Its answer and its data.read record use them.
    @Test func aPollAnswersWithItsOwnLimitMethodAndReader() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let feed = "/v1/agencies/demo-adult-social-care/handoffs"
        let start = try await live.request("GET", feed, key: partner)
        let cursor = try #require(start.json["next_cursor"]?.stringValue)
        let head = Task { try await live.request("HEAD", "\(feed)?after=\(cursor)&wait=10", key: partner) }
        try await Task.sleep(for: .milliseconds(100))
        let first = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-HD1", subject: nil))
        let headReply = try await head.value
        #expect(headReply.status == 200)
        #expect(headReply.body.isEmpty)
        let second = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-HD2", subject: nil))
        let ids = [first, second].map { $0.json["handoffs"]?.arrayValue?.first?["handoff_id"] }
        let one = try await live.request("GET", "\(feed)?after=\(cursor)&limit=1&wait=10", key: partner)
        #expect(one.json["handoffs"]?.arrayValue?.map { $0["handoff_id"] } == [ids[0]])
        let next = try #require(one.json["next_cursor"]?.stringValue)
        let two = try await live.request("GET", "\(feed)?after=\(next)&limit=1&wait=10", key: partner)
        #expect(two.json["handoffs"]?.arrayValue?.map { $0["handoff_id"] } == [ids[1]])
        // (The first read disclosed nothing, so it left no record.)
        let reads = try live.records().filter { $0.type == "data.read" && $0.body["endpoint"]?.stringValue?.hasSuffix(" /v1/agencies/{id}/handoffs") == true }
        #expect(reads.map { $0.body["endpoint"]?.stringValue } == ["HEAD", "GET", "GET"].map { "\($0) /v1/agencies/{id}/handoffs" })
        #expect(reads.allSatisfy { $0.actor == partner })
    }

    @Test func aLongPollWithNothingAnswersEmptyWhenItsWaitEnds() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let started = ContinuousClock.now
        let reply = try await live.request("GET", "/v1/escalations?wait=1", key: "dev-control-room")
        let elapsed = ContinuousClock.now - started
        #expect(reply.status == 200)
        #expect(reply.json["escalations"] == [])
        #expect(elapsed >= .milliseconds(900))
        let tooLong = try await live.request("GET", "/v1/escalations?wait=31", key: "dev-control-room")
        #expect(tooLong.status == 422)
    }
}

@Suite struct HandoffFeedFilterTests {
    @Test func aStatusFilterShowsOnlyMatchingHandoffsAndItsCursorMovesPastTheRest() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let partner = "dev-agency-demo-adult-social-care"
        let first = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-F1", subject: nil))
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-F2", subject: nil))
        let acknowledgedID = try #require(first.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await live.request("POST", "/v1/handoffs/\(acknowledgedID)/acknowledge", key: partner, json: ["by": "x"])
        let pending = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs?status=pending", key: partner)
        #expect(pending.json["handoffs"]?.arrayValue?.count == 1)
        #expect(pending.json["handoffs"]?.arrayValue?.first?["status"]?.stringValue == "pending")
        let all = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs", key: partner)
        #expect(pending.json["next_cursor"] == all.json["next_cursor"])
        let bad = try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs?status=lost", key: partner)
        #expect(bad.status == 422)
    }
}
