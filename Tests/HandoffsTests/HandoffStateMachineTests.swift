import Foundation
import Testing
import TestSupport
import Triage
@testable import Handoffs

@Suite struct HandoffStateMachineTests {
    let clock = TestClock()

    func makeHandoff(agencyID: String? = "cpft", ack: Int = 10, accept: Int = 30) -> Handoff {
        let deadlines = HandoffDeadlines.compute(createdAt: clock.now, ruleAcknowledgeMinutes: nil, ruleAcceptMinutes: nil,
                                                 agencyAcknowledgeMinutes: ack, agencyAcceptMinutes: accept,
                                                 defaults: DeadlineMinutes(), s136ArrivedAt: nil)
        return Handoff(id: "h_1", callID: "c_1", decisionID: "d_1", agencyID: agencyID, agencyKind: .mentalHealthTrust,
                       createdAt: clock.now, deadlines: deadlines, seq: 1)
    }

    func apply(_ handoff: Handoff, _ move: HandoffMove, seq: UInt64 = 2) throws -> Handoff {
        guard case .changed(let next) = try handoff.applying(move, at: clock.now, seq: seq) else {
            Issue.record("expected \(move) to change a \(handoff.status) handoff")
            return handoff
        }
        return next
    }

    @Test func happyPathGoesPendingAcknowledgedAcceptedCompleted() throws {
        var handoff = makeHandoff()
        #expect(handoff.status == .pending)
        clock.advance(minutes: 2)
        handoff = try apply(handoff, .acknowledge(by: "duty nurse"), seq: 2)
        #expect(handoff.status == .acknowledged)
        #expect(handoff.acknowledgedAt == clock.now)
        clock.advance(minutes: 5)
        handoff = try apply(handoff, .accept(by: "duty nurse", note: "on our way"), seq: 3)
        #expect(handoff.status == .accepted)
        handoff = try apply(handoff, .complete(by: "duty nurse", note: nil), seq: 4)
        #expect(handoff.status == .completed)
        #expect(handoff.history.map(\.status) == [.pending, .acknowledged, .accepted, .completed])
        #expect(handoff.changedSeq == 4)
        #expect(handoff.history[2].note == "on our way")
    }

    @Test func acceptingAPendingHandoffAcknowledgesItToo() throws {
        let handoff = try apply(makeHandoff(), .accept(by: "x", note: nil))
        #expect(handoff.acknowledgedAt == clock.now)
        #expect(handoff.acceptedAt == clock.now)
    }

    @Test func repeatingAMoveIsIdempotent() throws {
        let acknowledged = try apply(makeHandoff(), .acknowledge(by: "a"))
        #expect(try acknowledged.applying(.acknowledge(by: "a"), at: clock.now, seq: 3) == .unchanged)
        let declined = try apply(makeHandoff(), .decline(by: "a", reason: .noCapacity, note: nil))
        #expect(try declined.applying(.decline(by: "b", reason: .other, note: "x"), at: clock.now, seq: 3) == .unchanged)
    }

    @Test func acceptingADeclinedHandoffIsAConflict() throws {
        let declined = try apply(makeHandoff(), .decline(by: "a", reason: .notOurArea, note: nil))
        #expect(declined.declineReason == .notOurArea)
        #expect(throws: HandoffConflict(handoffID: "h_1", status: .declined, attempted: "accepted")) {
            try declined.applying(.accept(by: "a", note: nil), at: clock.now, seq: 3)
        }
    }

    @Test(arguments: [
        (HandoffStatus.pending, HandoffMove.complete(by: "a", note: nil)),
        (.accepted, .decline(by: "a", reason: .other, note: nil)),
        (.accepted, .acknowledge(by: "a")),
        (.accepted, .escalate(cause: .acceptDeadline)),
        (.completed, .cancel(reason: "retriage")),
        (.completed, .accept(by: "a", note: nil)),
        (.escalated, .accept(by: "a", note: nil)),
        (.cancelled, .acknowledge(by: "a")),
    ])
    func movesTheStateForbidsAreConflicts(from status: HandoffStatus, move: HandoffMove) throws {
        let handoff = try reach(status)
        #expect(throws: HandoffConflict.self) { try handoff.applying(move, at: clock.now, seq: 9) }
    }

    @Test func anUnroutableHandoffHasNoDeadlinesAndOnlyCancels() throws {
        let handoff = makeHandoff(agencyID: nil)
        #expect(handoff.status == .unroutable)
        #expect(handoff.status.needsControlRoom)
        #expect(handoff.acknowledgeBy == nil && handoff.acceptBy == nil && handoff.nextDeadline == nil)
        #expect(throws: HandoffConflict.self) { try handoff.applying(.acknowledge(by: "a"), at: clock.now, seq: 2) }
        #expect(try apply(handoff, .cancel(reason: "retriage")).status == .cancelled)
    }

    /// Drives a fresh handoff into `status` through allowed moves.
    func reach(_ status: HandoffStatus) throws -> Handoff {
        let fresh = makeHandoff()
        switch status {
        case .pending: return fresh
        case .acknowledged: return try apply(fresh, .acknowledge(by: "a"))
        case .accepted: return try apply(fresh, .accept(by: "a", note: nil))
        case .completed: return try apply(apply(fresh, .accept(by: "a", note: nil)), .complete(by: "a", note: nil), seq: 3)
        case .declined: return try apply(fresh, .decline(by: "a", reason: .other, note: nil))
        case .escalated: return try apply(fresh, .escalate(cause: .acknowledgeDeadline))
        case .cancelled: return try apply(fresh, .cancel(reason: "override"))
        case .unroutable: return makeHandoff(agencyID: nil)
        }
    }
}
