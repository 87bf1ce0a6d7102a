import Foundation
import Testing
@testable import Handoffs

@Suite struct DeadlineQueueTests {
    @Test func theEarliestDeadlineComesFirstAndDueEntriesAreFoundWithoutTheRest() {
        var queue = DeadlineQueue()
        let base = Date(timeIntervalSince1970: 1_000_000)
        let order = [5, 1, 9, 3, 7, 2, 8, 0, 6, 4]
        for minutes in order {
            queue.insert(DeadlineQueue.Entry(deadline: base.addingTimeInterval(Double(minutes) * 60), handoffID: "h\(minutes)"))
        }
        #expect(queue.first?.handoffID == "h0")
        #expect(Set(queue.due(at: base.addingTimeInterval(3 * 60)).map(\.handoffID)) == ["h0", "h1", "h2", "h3"])
        var popped: [String] = []
        while let entry = queue.removeFirst() { popped.append(entry.handoffID) }
        #expect(popped == (0...9).map { "h\($0)" })
    }

    @Test func theFoldKeepsTheFirstDeadlineCurrentAsHandoffsMoveOn() throws {
        let fold = ServiceStateFoldTests()
        var state = try fold.folded()
        let acknowledgeBy = fold.clock.now.addingTimeInterval(600)
        #expect(state.nextDeadline == acknowledgeBy)
        try state.apply(seq: 3, at: fold.clock.now, type: "handoff.acknowledged", actor: "mh", body: ["handoff_id": "h_1", "by": "n"])
        #expect(state.nextDeadline == fold.clock.now.addingTimeInterval(1800))
        try state.apply(seq: 4, at: fold.clock.now, type: "handoff.accepted", actor: "mh", body: ["handoff_id": "h_1", "by": "n"])
        #expect(state.nextDeadline == nil)
        #expect(state.overdueHandoffs(at: fold.clock.now.addingTimeInterval(86_400)).isEmpty)
    }
}
