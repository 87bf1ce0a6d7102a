import Foundation
import Synchronization
import Testing
@testable import Service

/// A waiter that counts its wake-ups.
private final class CountingWaiter: PollWaiter {
    let topic: PollTopic
    let deadline: ContinuousClock.Instant
    let woken = Atomic<Int>(0)

    init(_ topic: PollTopic, deadline: ContinuousClock.Instant = .now + .seconds(3600)) {
        self.topic = topic
        self.deadline = deadline
    }

    func wake() { woken.add(1, ordering: .relaxed) }
    var wakes: Int { woken.load(ordering: .relaxed) }
}

@Suite struct PollHubTests {
    @Test func notifyWakesEveryWaiterOfItsTopicAndNoOther() {
        let hub = PollHub(capacity: 100)
        let a1 = CountingWaiter(.agency("a")), a2 = CountingWaiter(.agency("a"))
        let b = CountingWaiter(.agency("b")), esc = CountingWaiter(.escalations)
        for w in [a1, a2, b, esc] { #expect(hub.wait(w, admitted: false, isReady: { false })) }
        #expect(hub.waiting == 4)
        hub.notify([.agency("a"), .agency("nobody")])
        #expect(a1.wakes == 1 && a2.wakes == 1 && b.wakes == 0 && esc.wakes == 0 && hub.waiting == 2)
        hub.notify([.escalations])
        #expect(esc.wakes == 1 && b.wakes == 0 && hub.waiting == 1)
        hub.notify([.agency("a")])  // already woken: not again
        #expect(a1.wakes == 1)
        hub.cancel(b)
        hub.notify([.agency("b")])
        #expect(b.wakes == 0 && hub.waiting == 0)
    }

    @Test func aChangeBetweenCheckAndRegistrationStillWakes() {
        let hub = PollHub(capacity: 10)
        let w = CountingWaiter(.agency("a"))
        #expect(hub.wait(w, admitted: false, isReady: { true }))
        #expect(w.wakes == 1 && hub.waiting == 0)
    }

    @Test func beyondCapacityNewPollsAreRefusedButAdmittedOnesWaitAgain() {
        let hub = PollHub(capacity: 2)
        let ws = (0..<3).map { CountingWaiter(.agency("x\($0)")) }
        #expect(hub.wait(ws[0], admitted: false, isReady: { false }))
        #expect(hub.wait(ws[1], admitted: false, isReady: { false }))
        #expect(!hub.wait(ws[2], admitted: false, isReady: { false }))
        #expect(hub.wait(ws[2], admitted: true, isReady: { false }))
        #expect(hub.waiting == 3)
    }

    @Test func afterWakeAllEveryPollIsWokenAndNewOnesAtOnce() {
        let hub = PollHub(capacity: 10)
        let a = CountingWaiter(.agency("a")), late = CountingWaiter(.agency("a"))
        _ = hub.wait(a, admitted: false, isReady: { false })
        hub.wakeAll()
        #expect(a.wakes == 1 && hub.isClosed && hub.waiting == 0)
        #expect(hub.wait(late, admitted: false, isReady: { false }))
        #expect(late.wakes == 1 && hub.waiting == 0)
    }

    @Test func aPollWhoseWaitHasRunOutIsWokenByTheSweeper() async throws {
        let hub = PollHub(capacity: 10)
        let expired = CountingWaiter(.agency("a"), deadline: .now - .seconds(1))
        let waiting = CountingWaiter(.agency("a"))
        _ = hub.wait(waiting, admitted: false, isReady: { false })
        _ = hub.wait(expired, admitted: false, isReady: { false })
        for _ in 0..<500 where expired.wakes == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(expired.wakes == 1 && waiting.wakes == 0 && hub.waiting == 1)
        hub.cancel(waiting)
    }
}

/// The open-addressing table under the hub, against a plain model, through growth, shrinking
/// and deletions that shift probe runs.
@Suite struct WaiterTableTests {
    @Test func manyTopicsAndSharedTopicsSurviveGrowthAndDeletion() {
        var table = WaiterTable()
        var model: [ObjectIdentifier: CountingWaiter] = [:]
        var all: [CountingWaiter] = []
        for i in 0..<3000 {
            // A few crowded topics (long probe runs) among many single ones.
            let w = CountingWaiter(i % 3 == 0 ? .agency("crowd\(i % 7)") : .agency("solo\(i)"))
            table.insert(w)
            model[ObjectIdentifier(w)] = w
            all.append(w)
        }
        #expect(table.count == 3000)
        // Remove every other solo waiter one by one.
        for (i, w) in all.enumerated() where i % 3 != 0 && i % 2 == 0 {
            let first = table.remove(w), second = table.remove(w)
            #expect(first && !second)
            model[ObjectIdentifier(w)] = nil
        }
        #expect(table.count == model.count)
        // Every remaining waiter is still found under its topic.
        var woken: [any PollWaiter] = []
        table.removeAll(.agency("crowd3"), into: &woken)
        let crowd3 = model.values.filter { $0.topic == .agency("crowd3") }
        #expect(woken.count == crowd3.count && crowd3.count > 100)
        for w in crowd3 { model[ObjectIdentifier(w)] = nil }
        for w in model.values {
            let removed = table.remove(w)
            #expect(removed)
        }
        let rest = table.removeAll()
        #expect(table.count == 0 && rest.isEmpty)
    }

    @Test func expiredWaitersComeOutWithTheNextDeadline() {
        var table = WaiterTable()
        let now = ContinuousClock.now
        let old = (0..<50).map { CountingWaiter(.agency("t\($0 % 5)"), deadline: now - .seconds(1)) }
        let soon = CountingWaiter(.agency("t1"), deadline: now + .seconds(5))
        let later = CountingWaiter(.agency("t2"), deadline: now + .seconds(9))
        for w in old + [soon, later] { table.insert(w) }
        let (expired, next) = table.removeExpired(at: now)
        #expect(expired.count == 50 && next == soon.deadline && table.count == 2)
        let removedSoon = table.remove(soon), removedLater = table.remove(later)
        #expect(removedSoon && removedLater)
    }
}
