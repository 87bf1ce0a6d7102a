import Foundation
import Handoffs
import JSON
import Ledger
import Testing
@testable import Service

/// The state a running service holds must be exactly the state a restart folds from the ledger.
/// The committer folds its records from the trees and bytes it built (with `callBytes` hints);
/// a restart folds the same records parsed back from disk. Any shortcut the live path takes
/// must leave the same state, or a restart would change what the service answers.
struct LiveReplayTests {
    @Test func theLiveStateIsWhatTheLedgerFoldsTo() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let controlRoom = "dev-control-room"
        let socialCare = "dev-agency-demo-adult-social-care"

        // Calls: routed, unroutable (social care covers only E06000031), repeat contacts of one
        // subject, and one posted twice with the same Idempotency-Key.
        var callIDs: [String] = []
        var handoffsOfCall: [[String]] = []
        for (index, area) in ["E06000031", "E09000001", "E06000031", "E06000031"].enumerated() {
            let created = try await live.request("POST", "/v1/calls", key: controlRoom,
                                                 json: Calls.careNeed("CAD-\(index)", area: area, subject: "P-1"))
            #expect(created.status == 201)
            callIDs.append(try #require(created.json["call_id"]?.stringValue))
            handoffsOfCall.append((created.json["handoffs"]?.arrayValue ?? []).compactMap { $0["handoff_id"]?.stringValue })
        }
        for _ in 0..<2 {
            let replayed = try await live.request("POST", "/v1/calls", key: controlRoom, json: Calls.careNeed("CAD-key", subject: "P-2"),
                                                  headers: [("Idempotency-Key", "live-replay-1")])
            #expect(replayed.status == 201)
        }
        #expect(handoffsOfCall.joined().count >= 4)

        // Partner moves: acknowledge and accept the first call's handoff, decline the fourth's.
        let accepted = try #require(handoffsOfCall[0].first)
        let declined = try #require(handoffsOfCall[3].first)
        #expect(try await live.request("POST", "/v1/handoffs/\(accepted)/acknowledge", key: socialCare, json: ["by": "duty worker"]).status == 200)
        #expect(try await live.request("POST", "/v1/handoffs/\(accepted)/accept", key: socialCare, json: ["by": "duty worker", "note": "visiting"]).status == 200)
        #expect(try await live.request("POST", "/v1/handoffs/\(declined)/decline", key: socialCare,
                                        json: ["by": "duty worker", "reason": "other", "note": "not ours"]).status == 200)

        // Control room and supervisor: retriage (crime occurring cancels open handoffs), override,
        // caller informed, and reads of personal data (each one a record).
        #expect(try await live.request("POST", "/v1/calls/\(callIDs[2])/retriage", key: controlRoom, json: ["risk": ["crime": "occurring"]]).status == 200)
        #expect(try await live.request("GET", "/v1/handoffs/\(try #require(handoffsOfCall[2].first))", key: "dev-supervisor").json["status"]?.stringValue == "cancelled")
        #expect(try await live.request("POST", "/v1/calls/\(callIDs[3])/override", key: "dev-supervisor", json: [
            "outcome": "joint_response", "reason": "Shouting reported", "reviewer": "Insp. Example",
            "agency_kinds": ["adult_social_care", "mental_health_trust"],
        ]).status == 200)
        #expect(try await live.request("POST", "/v1/calls/\(callIDs[0])/caller-informed", key: controlRoom, json: ["by": "call handler 12"]).status == 200)
        #expect(try await live.request("GET", "/v1/calls/\(callIDs[1])", key: "dev-supervisor").status == 200)

        // Admin: a new agency, two keys for it (one revoked), an update, a deactivation.
        #expect(try await live.request("POST", "/v1/agencies", key: "dev-admin", json: [
            "id": "county-asc", "name": "County ASC", "kind": "adult_social_care", "areas": ["E06*"],
        ]).status == 201)
        let issued = try await live.request("POST", "/v1/agencies/county-asc/keys", key: "dev-admin")
        #expect(issued.status == 201)
        let keyID = try #require(issued.json["key_id"]?.stringValue)
        #expect(try await live.request("POST", "/v1/agencies/county-asc/keys", key: "dev-admin").status == 201)
        #expect(try await live.request("DELETE", "/v1/agencies/county-asc/keys/\(keyID)", key: "dev-admin").status == 200)
        #expect(try await live.request("PUT", "/v1/agencies/county-asc", key: "dev-admin", json: [
            "name": "County Adult Social Care", "kind": "adult_social_care", "areas": ["E06000031"],
        ]).status == 200)
        #expect(try await live.request("DELETE", "/v1/agencies/county-asc", key: "dev-admin").status == 200)

        // Deadlines that pass escalate by themselves.
        live.clock.advance(minutes: 11)
        await live.service.checkDeadlines()

        let held = live.service.state.read { ServiceState(copying: $0) }
        var folded = ServiceState()
        let records = try live.records()
        #expect(records.count > 20)
        for record in records {
            try folded.apply(seq: record.seq, at: record.at, type: record.type, actor: record.actor, body: record.body)
        }
        #expect(held.lastSeq == records.last?.seq)
        #expect(folded.lastSeq == held.lastSeq)
        // Compared as booleans with a name: these collections print thousands of empty shards.
        #expect(folded.calls.count == held.calls.count)
        for id in held.callOrder {
            let same = folded.calls[id] == held.calls[id]
            #expect(same, "call \(id) differs")
        }
        #expect(folded.handoffs.count == held.handoffs.count)
        for handoff in held.handoffs.values {
            let same = folded.handoffs[handoff.id] == handoff
            #expect(same, "handoff \(handoff.id) differs")
        }
        let same: [(String, Bool)] = [
            ("agencies", folded.agencies == held.agencies),
            ("issued keys", folded.issuedKeys == held.issuedKeys && folded.keyIDsByHash == held.keyIDsByHash),
            ("call order", folded.callOrder == held.callOrder),
            ("deadlines", folded.deadlines == held.deadlines),
            ("handoff counts", folded.handoffCounts == held.handoffCounts),
            ("agency feeds", folded.agencyFeeds == held.agencyFeeds),
            ("escalations", folded.escalations == held.escalations),
            ("idempotent answers", folded.idempotency == held.idempotency),
            ("repeat-contact index", folded.subjectContacts == held.subjectContacts),
            ("data reads", folded.dataReads == held.dataReads),
        ]
        for (name, equal) in same { #expect(equal, "\(name) differ") }
        // The scenario reached what it meant to: escalations, a cancelled handoff, an idempotent answer.
        #expect(held.handoffCounts[.escalated, default: 0] + held.handoffCounts[.unroutable, default: 0] > 0)
        #expect(held.handoffCounts[.cancelled, default: 0] > 0)
        #expect(held.idempotency.count == 1)
        #expect(held.dataReads > 0)
        #expect(held.issuedKeys.count == 2 && held.issuedKeys.values.filter(\.revoked).count == 1)
    }
}
