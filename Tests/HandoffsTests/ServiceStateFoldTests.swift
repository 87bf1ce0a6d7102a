import Foundation
import JSON
import Testing
import TestSupport
import Triage
@testable import Handoffs

@Suite struct ServiceStateFoldTests {
    let clock = TestClock()

    func agencyRecord(_ id: String, kind: AgencyKind) -> JSONValue {
        ["agency": Agency(id: id, name: id, kind: kind, areas: ["*"], acknowledgeWithinMinutes: 10, acceptWithinMinutes: 30).json]
    }

    func birth(_ id: String, agency: String?, kind: AgencyKind) -> JSONValue {
        HandoffBirth(handoffID: id, callID: "c_1", decisionID: "d_1", agencyID: agency, agencyKind: kind,
                     deadlines: HandoffDeadlines(acknowledgeBy: clock.now.addingTimeInterval(600),
                                                 acceptBy: clock.now.addingTimeInterval(1800))).json
    }

    func triaged() -> JSONValue {
        [
            "call_id": "c_1",
            "call": ["incident_ref": "CAD-1", "call_type": "concern_for_welfare", "location": ["area": "E06000031"],
                     "subject": ["reference": "P-1"]],
            "decision": ["decision_id": "d_1", "outcome": "handoff", "police_attend": false, "flags": []],
            "handoffs": [birth("h_1", agency: "mh", kind: .mentalHealthTrust), birth("h_2", agency: nil, kind: .amhpService)],
            "idempotency": ["key": "k1", "body_sha256": "abc", "status": 201, "response": ["call_id": "c_1"]],
        ]
    }

    func folded() throws -> ServiceState {
        var state = ServiceState()
        try state.apply(seq: 1, at: clock.now, type: "agency.registered", actor: "admin", body: agencyRecord("mh", kind: .mentalHealthTrust))
        try state.apply(seq: 2, at: clock.now, type: "call.triaged", actor: "cr", body: triaged())
        return state
    }

    @Test func aTriagedCallCreatesItsHandoffsAndAnUnroutableOneEscalatesAtOnce() throws {
        let state = try folded()
        #expect(state.calls["c_1"]?.handoffIDs == ["h_1", "h_2"])
        #expect(state.handoffs["h_1"]?.status == .pending)
        #expect(state.handoffs["h_2"]?.status == .unroutable)
        #expect(state.escalations.changes(after: 0, limit: 10).map(\.id) == ["h_2"])
        #expect(state.agencyChanges("mh", after: 0, limit: 10).map(\.id) == ["h_1"])
        // Only the pending handoff waits for the deadline timer (the unroutable one escalated).
        #expect(state.deadlines.count == 1)
        #expect(state.deadlines.first?.handoffID == "h_1")
        #expect(state.nextDeadline == state.handoffs["h_1"]?.nextDeadline)
        #expect(state.contacts(reference: "P-1", before: clock.now, days: 30) == 1)
    }

    @Test func theAgencyFeedShowsEachHandoffOnceAtItsLatestChange() throws {
        var state = try folded()
        try state.apply(seq: 3, at: clock.now, type: "handoff.acknowledged", actor: "mh-key", body: ["handoff_id": "h_1", "by": "nurse"])
        #expect(state.agencyChanges("mh", after: 0, limit: 10).map(\.seq) == [3])
        #expect(state.agencyChanges("mh", after: 3, limit: 10).isEmpty)
        #expect(state.handoffs["h_1"]?.status == .acknowledged)
    }

    /// New calls, moves that change or end deadlines, retriage and escalation, in any mix: after
    /// every record the first deadline is the earliest of the open handoffs' next deadlines.
    @Test func theNextDeadlineIsTheEarliestOpenOneAfterEveryRecord() throws {
        var state = ServiceState()
        var seq: UInt64 = 1
        func apply(_ type: String, _ body: JSONValue) throws {
            seq += 1
            try state.apply(seq: seq, at: clock.now, type: type, actor: "k", body: body)
            let ids = (1...6).flatMap { call in (1...2).map { "h_\(call)_\($0)" } }
            let earliest = ids.compactMap { state.handoffs[$0]?.nextDeadline }.min()
            #expect(state.nextDeadline == earliest, "after record \(seq) (\(type))")
        }
        try state.apply(seq: 1, at: clock.now, type: "agency.registered", actor: "admin", body: agencyRecord("mh", kind: .mentalHealthTrust))
        for call in 1...6 {
            let minutes = Double((call * 7) % 5 + 1) * 60
            let births: [JSONValue] = (1...2).map { n in
                HandoffBirth(handoffID: "h_\(call)_\(n)", callID: "c_\(call)", decisionID: "d_\(call)", agencyID: "mh",
                             agencyKind: .mentalHealthTrust,
                             deadlines: HandoffDeadlines(acknowledgeBy: clock.now.addingTimeInterval(minutes * Double(n)),
                                                         acceptBy: clock.now.addingTimeInterval(minutes * Double(n) + 900))).json
            }
            try apply("call.triaged", ["call_id": .string("c_\(call)"), "call": ["incident_ref": .string("CAD-\(call)")],
                                       "decision": ["decision_id": .string("d_\(call)")], "handoffs": .array(births)])
        }
        try apply("handoff.acknowledged", ["handoff_id": "h_1_1", "by": "nurse"])
        try apply("handoff.accepted", ["handoff_id": "h_2_1", "by": "nurse"])
        try apply("handoff.declined", ["handoff_id": "h_3_1", "by": "nurse", "reason": "not_appropriate"])
        try apply("handoff.escalated", ["handoff_id": "h_4_1", "cause": "acknowledge_deadline"])
        try apply("call.retriaged", ["call_id": "c_5", "decision": ["decision_id": "d_5b"], "cancelled": ["h_5_1", "h_5_2"],
                                     "handoffs": []])
        try apply("handoff.completed", ["handoff_id": "h_2_1", "by": "nurse"])
        for call in 1...6 {
            for n in 1...2 where state.handoffs["h_\(call)_\(n)"]?.status.isOpen == true {
                try apply("handoff.accepted", ["handoff_id": .string("h_\(call)_\(n)"), "by": "nurse"])
            }
        }
    }

    /// The fold says which long-poll feeds each record changed; the service wakes only those.
    @Test func applyingARecordSaysWhichFeedsItChanged() throws {
        var state = ServiceState()
        let registered = try state.apply(seq: 1, at: clock.now, type: "agency.registered", actor: "admin",
                                         body: agencyRecord("mh", kind: .mentalHealthTrust))
        #expect(registered.isEmpty)
        // h_1 goes to mh's feed; h_2 is born unroutable and so joins the escalations.
        let triaged = try state.apply(seq: 2, at: clock.now, type: "call.triaged", actor: "cr", body: triaged())
        #expect(triaged.agencyIDs == ["mh"])
        #expect(triaged.escalations)
        let acknowledged = try state.apply(seq: 3, at: clock.now, type: "handoff.acknowledged", actor: "mh-key",
                                           body: ["handoff_id": "h_1", "by": "nurse"])
        #expect(acknowledged.agencyIDs == ["mh"])
        #expect(!acknowledged.escalations)
        // The same move again changes nothing, so wakes nobody.
        let repeated = try state.apply(seq: 4, at: clock.now, type: "handoff.acknowledged", actor: "mh-key",
                                       body: ["handoff_id": "h_1", "by": "nurse"])
        #expect(repeated.isEmpty)
        let declined = try state.apply(seq: 5, at: clock.now, type: "handoff.declined", actor: "mh-key",
                                       body: ["handoff_id": "h_1", "by": "nurse", "reason": "not_appropriate"])
        #expect(declined.agencyIDs == ["mh"])
        #expect(declined.escalations)
        var merged = triaged
        merged.merge(acknowledged)
        #expect(merged.agencyIDs == ["mh"])
        #expect(merged.escalations)
    }

    /// A new call whose handoff id is taken (a damaged or forged ledger) is refused whole: the
    /// call, and any handoff the record stored before finding the taken id, are taken back.
    @Test func aNewCallReusingAHandoffIDIsRefusedAndLeavesNothingBehind() throws {
        var state = try folded()
        let before = (state.calls.count, state.handoffs.count, state.callOrder, state.handoffs["h_1"], state.deadlines,
                      state.agencyFeeds, state.handoffCounts)
        var body = triaged()
        body = ["call_id": "c_2", "call": body["call"]!, "decision": ["decision_id": "d_2"],
                "handoffs": [HandoffBirth(handoffID: "h_new", callID: "c_2", decisionID: "d_2", agencyID: "mh",
                                          agencyKind: .mentalHealthTrust,
                                          deadlines: HandoffDeadlines(acknowledgeBy: clock.now, acceptBy: clock.now)).json,
                             HandoffBirth(handoffID: "h_1", callID: "c_2", decisionID: "d_2", agencyID: "mh",
                                          agencyKind: .mentalHealthTrust,
                                          deadlines: HandoffDeadlines(acknowledgeBy: clock.now, acceptBy: clock.now)).json]]
        #expect(throws: StateFoldError.self) {
            try state.apply(seq: 3, at: clock.now, type: "call.triaged", actor: "cr", body: body)
        }
        #expect(state.calls.count == before.0)
        #expect(state.calls["c_2"] == nil)
        #expect(state.handoffs.count == before.1)
        #expect(state.handoffs["h_new"] == nil)
        #expect(state.callOrder == before.2)
        #expect(state.handoffs["h_1"] == before.3)
        #expect(state.deadlines == before.4)
        #expect(state.agencyFeeds == before.5)
        #expect(state.handoffCounts == before.6)
        #expect(state.contacts(reference: "P-1", before: clock.now, days: 30) == 1)
        // An existing call id is refused the same way, its entry untouched.
        let entry = state.calls["c_1"]
        #expect(throws: StateFoldError.self) {
            try state.apply(seq: 3, at: clock.now, type: "call.triaged", actor: "cr",
                            body: ["call_id": "c_1", "call": body["call"]!, "decision": ["decision_id": "d_3"], "handoffs": []])
        }
        #expect(state.calls["c_1"] == entry)
        #expect(state.calls.count == before.0)
    }

    @Test func aPageNeverEndsInsideOneRecordsChanges() {
        var feed = ChangeFeed()
        feed.record("h_a", seq: 5)
        for index in 0..<5 { feed.record("h_\(index)", seq: 7) }
        feed.record("h_z", seq: 9)
        let first = feed.changes(after: 0, limit: 2)
        #expect(first.map(\.id) == ["h_a", "h_0", "h_1", "h_2", "h_3", "h_4"])
        let rest = feed.changes(after: first.last!.seq, limit: 2)
        #expect(rest.map(\.id) == ["h_z"])
    }

    @Test func deadlinesAreFoundFromStateSoTheySurviveARestart() throws {
        let state = try folded()
        #expect(state.nextDeadline == clock.now.addingTimeInterval(600))
        #expect(state.overdueHandoffs(at: clock.now.addingTimeInterval(599)).isEmpty)
        #expect(state.overdueHandoffs(at: clock.now.addingTimeInterval(600)).map(\.id) == ["h_1"])
    }

    @Test func aRetriageCancelsUnwantedHandoffsAndKeepsEveryDecision() throws {
        var state = try folded()
        try state.apply(seq: 3, at: clock.now, type: "call.retriaged", actor: "cr", body: [
            "call_id": "c_1", "decision": ["decision_id": "d_2", "outcome": "police_attend", "police_attend": true],
            "cancelled": ["h_1", "h_2"], "handoffs": [],
        ])
        let call = try #require(state.calls["c_1"])
        #expect(call.decisions.count == 2)
        #expect(call.policeAttend)
        #expect(state.handoffs["h_1"]?.status == .cancelled)
        #expect(state.handoffs["h_1"]?.history.last?.reason == "retriage")
        // Nothing is left for the deadline timer.
        #expect(state.nextDeadline == nil)
        #expect(state.overdueHandoffs(at: clock.now.addingTimeInterval(86_400 * 365)).isEmpty)
        // The unroutable handoff left the control room's list: the feed reports that change too.
        #expect(state.escalations.changes(after: 2, limit: 10).map(\.id) == ["h_2"])
    }

    @Test func aStoredCallReadsBackAsRecordedAndARetriageRederivesItsFields() throws {
        var state = try folded()
        let recorded = try #require(triaged()["call"])
        var call = try #require(state.calls["c_1"])
        #expect(call.call == recorded)
        #expect(call.callBytes == recorded.serialized())
        #expect(call.incidentRef == "CAD-1" && call.callType == "concern_for_welfare" && call.area == "E06000031")
        #expect(call.subjectReference == "P-1")
        // No `received_at`: the call counts from when it was recorded.
        #expect(call.receivedAt == clock.now)
        #expect(state.contacts(reference: "P-1", before: clock.now, days: 30) == 1)

        let corrected: JSONValue = ["incident_ref": "CAD-1", "call_type": "s136_handover", "received_at": "2026-11-20T09:30:00Z",
                                    "location": ["area": "E07000008"], "subject": ["reference": "P-2"],
                                    "s136": ["arrived_at": "2026-11-20T09:45:00Z"]]
        try state.apply(seq: 3, at: clock.now, type: "call.retriaged", actor: "cr", body: [
            "call_id": "c_1", "call": corrected, "decision": ["decision_id": "d_2", "outcome": "handoff"], "handoffs": [],
        ])
        call = try #require(state.calls["c_1"])
        #expect(call.call == corrected)
        #expect(call.callType == "s136_handover" && call.area == "E07000008" && call.subjectReference == "P-2")
        #expect(call.receivedAt == RFC3339.parse("2026-11-20T09:30:00Z"))
        #expect(call.decisions.count == 2)
    }

    @Test func aCorrectedSubjectMovesTheCallInTheRepeatContactIndexAsAStartFromASnapshotWould() throws {
        var state = try folded()
        let corrected: JSONValue = ["incident_ref": "CAD-1", "call_type": "concern_for_welfare", "received_at": "2026-11-20T09:30:00Z",
                                    "location": ["area": "E06000031"], "subject": ["reference": "P-2"]]
        try state.apply(seq: 3, at: clock.now, type: "call.retriaged", actor: "cr", body: [
            "call_id": "c_1", "call": corrected, "decision": ["decision_id": "d_2", "outcome": "handoff"], "handoffs": [],
        ])
        let arrived = try #require(RFC3339.parse("2026-11-20T09:30:00Z"))
        #expect(state.contacts(reference: "P-1", before: clock.now, days: 30) == 0)
        #expect(state.subjectContacts["P-1"] == nil)
        #expect(state.contacts(reference: "P-2", before: arrived, days: 30) == 1)
        let restored = try #require(StateSnapshot.decode(StateSnapshot.encode(state)))
        #expect(restored.subjectContacts["P-1"] == nil)
        #expect(restored.subjectContacts["P-2"] == state.subjectContacts["P-2"])
    }

    @Test func anAgencyUpdateReroutesItsHandoffsInTheSameRecord() throws {
        var state = try folded()
        var narrowed = Agency(id: "mh", name: "mh", kind: .mentalHealthTrust, areas: ["E07*"])
        try state.apply(seq: 3, at: clock.now, type: "agency.updated", actor: "admin", body: [
            "agency": narrowed.json, "cancelled": ["h_1"],
            "handoffs": [HandoffBirth(handoffID: "h_3", callID: "c_1", decisionID: "d_1", agencyID: nil,
                                      agencyKind: .mentalHealthTrust, deadlines: nil).json],
        ])
        #expect(state.agencies["mh"]?.areas == ["E07*"])
        #expect(state.handoffs["h_1"]?.status == .cancelled)
        #expect(state.handoffs["h_1"]?.history.last?.reason == "agency_updated")
        #expect(state.handoffs["h_3"]?.status == .unroutable)
        #expect(state.calls["c_1"]?.handoffIDs == ["h_1", "h_2", "h_3"])
        #expect(state.escalations.changes(after: 2, limit: 10).map(\.id) == ["h_3"])
        // An update without handoffs changes only the agency (records written before re-routing).
        narrowed.name = "Mental health"
        try state.apply(seq: 4, at: clock.now, type: "agency.updated", actor: "admin", body: ["agency": narrowed.json])
        #expect(state.agencies["mh"]?.name == "Mental health")
    }

    @Test func aPartnerMovesStoredAnswerIsTheHandoffAsItsRecordLeftIt() throws {
        var state = try folded()
        let later = clock.now.addingTimeInterval(90)
        try state.apply(seq: 3, at: later, type: "handoff.accepted", actor: "mh-key", body: [
            "handoff_id": "h_1", "by": "nurse",
            "idempotency": ["key": "accept-1", "body_sha256": "def", "status": 200, "response": .null],
        ])
        let stored = try #require(state.idempotentAnswer(actor: "mh-key", key: "accept-1", now: later)?.response)
        #expect(stored == state.handoffs["h_1"]?.json(call: state.calls["c_1"]))
        #expect(stored["status"]?.stringValue == "accepted")
        #expect(stored["cursor"]?.stringValue == "3")
        #expect(stored["accepted_at"]?.stringValue == RFC3339.format(later))
        #expect(stored["history"]?.arrayValue?.count == 2)
        // A later move does not change what the first one answered.
        try state.apply(seq: 4, at: later, type: "handoff.completed", actor: "mh-key", body: ["handoff_id": "h_1", "by": "nurse"])
        #expect(state.idempotentAnswer(actor: "mh-key", key: "accept-1", now: later)?.response == stored)
    }

    @Test func idempotentAnswersExpireAfterADay() throws {
        let state = try folded()
        #expect(state.idempotentAnswer(actor: "cr", key: "k1", now: clock.now)?.status == 201)
        #expect(state.idempotentAnswer(actor: "other", key: "k1", now: clock.now) == nil)
        #expect(state.idempotentAnswer(actor: "cr", key: "k1", now: clock.now.addingTimeInterval(86_400)) == nil)
    }

    @Test func aRecordThatBreaksTheStateMachineStopsTheFold() throws {
        var state = try folded()
        try state.apply(seq: 3, at: clock.now, type: "handoff.declined", actor: "mh",
                        body: ["handoff_id": "h_1", "by": "n", "reason": "no_capacity"])
        #expect(throws: StateFoldError.self) {
            try state.apply(seq: 4, at: clock.now, type: "handoff.accepted", actor: "mh", body: ["handoff_id": "h_1", "by": "n"])
        }
        #expect(throws: StateFoldError.self) {
            try state.apply(seq: 5, at: clock.now, type: "call.mystery", actor: "x", body: [:])
        }
    }
}

@Suite struct StateSnapshotTests {
    @Test func aSnapshotRestoresTheStateAndItsFeeds() throws {
        let fold = ServiceStateFoldTests()
        var state = try fold.folded()
        try state.apply(seq: 3, at: fold.clock.now, type: "handoff.declined", actor: "mh",
                        body: ["handoff_id": "h_1", "by": "n", "reason": "no_capacity", "note": "full"])
        try state.apply(seq: 4, at: fold.clock.now, type: "key.issued", actor: "admin",
                        body: ["key_id": "k_1", "agency_id": "mh", "sha256": "ab"])
        let restored = try #require(StateSnapshot.decode(StateSnapshot.encode(state)))
        #expect(restored.lastSeq == 4)
        #expect(restored.handoffs == state.handoffs)
        #expect(restored.calls == state.calls)
        #expect(restored.callOrder == state.callOrder)
        #expect(restored.agencies == state.agencies)
        #expect(restored.keyIDsByHash == ["ab": "k_1"])
        #expect(restored.escalations.changes(after: 0, limit: 10).map(\.id) == state.escalations.changes(after: 0, limit: 10).map(\.id))
        #expect(restored.agencyChanges("mh", after: 0, limit: 10).map(\.seq) == [3])
        #expect(restored.idempotentAnswer(actor: "cr", key: "k1", now: fold.clock.now)?.status == 201)
        #expect(restored.contacts(reference: "P-1", before: fold.clock.now, days: 1) == 1)
    }

    @Test func somethingElseIsNotASnapshot() {
        #expect(StateSnapshot.decode(Array("{\"format\":\"other\"}".utf8)) == nil)
    }
}

@Suite struct IdempotencyExpiryTests {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func issue(_ state: inout ServiceState, seq: UInt64, hours: Double, key: String) throws {
        try state.apply(seq: seq, at: start.addingTimeInterval(hours * 3600), type: "key.issued", actor: "admin", body: [
            "key_id": .string("k_\(seq)"), "agency_id": "mh", "sha256": .string("h\(seq)"),
            "idempotency": ["key": .string(key), "body_sha256": "x", "status": 201, "response": [:]],
        ])
    }

    private func read(_ state: inout ServiceState, seq: UInt64, hours: Double) throws {
        try state.apply(seq: seq, at: start.addingTimeInterval(hours * 3600), type: "data.read", actor: "auditor", body: [:])
    }

    @Test func anAnswerIsDroppedByTheFirstRecordADayAfterItAndNoSooner() throws {
        var state = ServiceState()
        try issue(&state, seq: 1, hours: 0, key: "first")
        try issue(&state, seq: 2, hours: 1, key: "second")
        try read(&state, seq: 3, hours: 23.9)
        #expect(state.idempotency.count == 2)
        try read(&state, seq: 4, hours: 24)
        #expect(state.idempotency.count == 1)
        #expect(state.idempotentAnswer(actor: "admin", key: "second", now: start.addingTimeInterval(24 * 3600)) != nil)
        // A snapshot carries the rest on, and they keep expiring in the restored state.
        var restored = try #require(StateSnapshot.decode(StateSnapshot.encode(state)))
        #expect(restored.idempotency == state.idempotency)
        try read(&restored, seq: 5, hours: 25)
        #expect(restored.idempotency.isEmpty)
    }

    @Test func aKeyStoredAgainAfterExpiryKeepsItsNewAnswer() throws {
        var state = ServiceState()
        try issue(&state, seq: 1, hours: 0, key: "same")
        try issue(&state, seq: 2, hours: 30, key: "same")
        try read(&state, seq: 3, hours: 31)
        #expect(state.idempotency.count == 1)
        #expect(state.idempotentAnswer(actor: "admin", key: "same", now: start.addingTimeInterval(31 * 3600))?.at
                == start.addingTimeInterval(30 * 3600))
    }
}
