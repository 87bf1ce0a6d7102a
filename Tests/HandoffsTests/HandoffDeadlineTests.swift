import Foundation
import Testing
import TestSupport
import Triage
@testable import Handoffs

@Suite struct HandoffDeadlineTests {
    let clock = TestClock()

    func handoff(ruleAck: Int? = nil, ruleAccept: Int? = nil, agencyAck: Int? = 10, agencyAccept: Int? = 30,
                 s136ArrivedAt: Date? = nil) -> Handoff {
        let deadlines = HandoffDeadlines.compute(createdAt: clock.now, ruleAcknowledgeMinutes: ruleAck, ruleAcceptMinutes: ruleAccept,
                                                 agencyAcknowledgeMinutes: agencyAck, agencyAcceptMinutes: agencyAccept,
                                                 defaults: DeadlineMinutes(acknowledge: 15, accept: 60), s136ArrivedAt: s136ArrivedAt)
        return Handoff(id: "h", callID: "c", decisionID: "d", agencyID: "a", agencyKind: .ambulance,
                       createdAt: clock.now, deadlines: deadlines, seq: 1)
    }

    @Test func agencyMinutesSetTheDeadlines() {
        let h = handoff()
        #expect(h.acknowledgeBy == clock.now.addingTimeInterval(600))
        #expect(h.acceptBy == clock.now.addingTimeInterval(1800))
    }

    @Test func ruleMinutesOverrideTheAgencys() {
        let h = handoff(ruleAck: 5, ruleAccept: 20)
        #expect(h.acknowledgeBy == clock.now.addingTimeInterval(300))
        #expect(h.acceptBy == clock.now.addingTimeInterval(1200))
    }

    @Test func serviceDefaultsApplyWhenNeitherRuleNorAgencySays() {
        let h = handoff(agencyAck: nil, agencyAccept: nil)
        #expect(h.acknowledgeBy == clock.now.addingTimeInterval(900))
        #expect(h.acceptBy == clock.now.addingTimeInterval(3600))
    }

    @Test func s136HandoverMustBeAcceptedAnHourAfterArrival() {
        let arrived = clock.now.addingTimeInterval(-20 * 60)
        let h = handoff(agencyAck: 30, agencyAccept: 240, s136ArrivedAt: arrived)
        #expect(h.acceptBy == arrived.addingTimeInterval(3600))
        #expect(h.acknowledgeBy == clock.now.addingTimeInterval(30 * 60))
    }

    @Test func acknowledgementIsNeverDueAfterAcceptance() {
        let arrived = clock.now.addingTimeInterval(-50 * 60)
        let h = handoff(agencyAck: 30, s136ArrivedAt: arrived)
        #expect(h.acknowledgeBy == h.acceptBy)
    }

    @Test func aPendingHandoffEscalatesWhenNotAcknowledgedInTime() throws {
        let h = handoff()
        let deadline = try #require(h.acknowledgeBy)
        clock.advance(minutes: 9)
        #expect(h.overdue(at: clock.now) == nil)
        #expect(h.nextDeadline == deadline)
        clock.advance(minutes: 1)
        #expect(h.overdue(at: clock.now) == .acknowledgeDeadline)
        guard case .changed(let escalated) = try h.applying(.escalate(cause: .acknowledgeDeadline), at: clock.now, seq: 2) else {
            Issue.record("escalation did not change the handoff"); return
        }
        #expect(escalated.status == .escalated)
        #expect(escalated.escalationCause == .acknowledgeDeadline)
        #expect(escalated.nextDeadline == nil)
        #expect(escalated.overdue(at: clock.now.addingTimeInterval(86_400)) == nil)
    }

    @Test func anAcknowledgedHandoffEscalatesWhenNotAcceptedInTime() throws {
        guard case .changed(let acknowledged) = try handoff().applying(.acknowledge(by: "n"), at: clock.now, seq: 2) else {
            Issue.record("acknowledge did not change the handoff"); return
        }
        #expect(acknowledged.nextDeadline == acknowledged.acceptBy)
        clock.advance(minutes: 29)
        #expect(acknowledged.overdue(at: clock.now) == nil)
        clock.advance(minutes: 1)
        #expect(acknowledged.overdue(at: clock.now) == .acceptDeadline)
    }

    @Test func anAcceptedHandoffNeverEscalates() throws {
        guard case .changed(let accepted) = try handoff().applying(.accept(by: "n", note: nil), at: clock.now, seq: 2) else {
            Issue.record("accept did not change the handoff"); return
        }
        clock.advance(minutes: 600)
        #expect(accepted.overdue(at: clock.now) == nil)
        #expect(accepted.nextDeadline == nil)
    }
}
