import Foundation
import Testing
@testable import Handoffs

@Suite struct AgencyFeedTests {
    /// Each handoff shows once, at its latest change, whatever moved since; superseded entries
    /// are dropped once they outnumber live ones, and the answers stay the same across that.
    @Test func eachHandoffShowsOnceAtItsLatestChangeAcrossCompactions() {
        var feed = AgencyFeed()
        var latest: [String: UInt64] = [:]
        var seq: UInt64 = 0
        var compactions = 0
        func record(_ id: String) {
            seq += 1
            feed.record(id, seq: seq, supersedes: latest[id] != nil)
            latest[id] = seq
            if feed.needsCompaction {
                feed.compact { latest[$0] == $1 }
                compactions += 1
            }
        }
        for n in 0..<400 { record("h_\(n)") }
        // Four moves each, with a few new handoffs between the rounds.
        for round in 0..<4 {
            for n in 0..<400 { record("h_\(n)") }
            for n in 0..<20 { record("h_new_\(round)_\(n)") }
        }
        let changes = feed.changes(after: 0, limit: .max) { latest[$0] == $1 }
        #expect(changes.count == latest.count)
        #expect(Set(changes.map(\.id)) == Set(latest.keys))
        #expect(changes.allSatisfy { latest[$0.id] == $0.seq })
        #expect(changes.map(\.seq) == changes.map(\.seq).sorted())
        #expect(compactions >= 1)
        #expect(feed.count < 2 * latest.count)
        // A cursor returns only what changed after it.
        let after = feed.changes(after: seq - 2, limit: .max) { latest[$0] == $1 }
        #expect(after.map(\.seq) == [seq - 1, seq])
        #expect(feed.lastSeq == seq)
    }

    /// Through the fold: an agency's feed keeps each of its handoffs once however often they
    /// move, and does not grow with the moves.
    @Test func theFoldKeepsAnAgencysFeedBoundedAsItsHandoffsMove() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var state = ServiceState()
        var seq: UInt64 = 1
        try state.apply(seq: seq, at: now, type: "agency.registered", actor: "admin", body: [
            "agency": Agency(id: "mh", name: "mh", kind: .mentalHealthTrust, areas: ["*"]).json,
        ])
        let calls = 700
        for n in 0..<calls {
            seq += 1
            let birth = HandoffBirth(handoffID: "h_\(n)", callID: "c_\(n)", decisionID: "d_\(n)", agencyID: "mh",
                                     agencyKind: .mentalHealthTrust,
                                     deadlines: HandoffDeadlines(acknowledgeBy: now.addingTimeInterval(600), acceptBy: now.addingTimeInterval(1800)))
            try state.apply(seq: seq, at: now, type: "call.triaged", actor: "cr",
                            body: ["call_id": .string("c_\(n)"), "call": ["incident_ref": .string("I-\(n)")],
                                   "decision": ["decision_id": .string("d_\(n)")], "handoffs": [birth.json]])
        }
        for move in ["handoff.acknowledged", "handoff.accepted"] {
            for n in 0..<calls {
                seq += 1
                try state.apply(seq: seq, at: now, type: move, actor: "mh-key", body: ["handoff_id": .string("h_\(n)"), "by": "nurse"])
            }
        }
        let changes = state.agencyChanges("mh", after: 0, limit: .max)
        #expect(changes.count == calls)
        #expect(changes.allSatisfy { state.handoffs[$0.id]?.changedSeq == $0.seq && state.handoffs[$0.id]?.status == .accepted })
        let feed = try #require(state.agencyFeeds["mh"])
        #expect(feed.count < 2 * calls)
        #expect(feed.lastSeq == seq)
    }
}
