import Foundation
import Synchronization

/// What a long poll waits on. Kept apart from the `"agency:<id>"` strings `notify` takes so that a
/// waiting poll's key shares its agency id's storage instead of holding a string of its own.
enum PollTopic: Hashable, Sendable {
    case agency(String)
    case escalations

    init?(_ name: String) {
        if name == "escalations" { self = .escalations; return }
        guard name.hasPrefix("agency:") else { return nil }
        self = .agency(String(name.dropFirst(7)))
    }
}

/// What waits in the poll hub: a long poll holding its HTTP responder. `wake` runs on the waking
/// thread (the committer's, the sweeper's, the loop's) and must be quick.
protocol PollWaiter: AnyObject, Sendable {
    var topic: PollTopic { get }
    var deadline: ContinuousClock.Instant { get }
    func wake()
}

/// Waiting long polls, by topic (`agency:<id>`, `escalations`). A waiting poll is its waiter
/// object and nothing else: no Task, no continuation, no thread, no per-poll timer. A change to
/// its topic wakes it, and one sweeper task wakes the polls whose wait has run out.
final class PollHub: Sendable {
    /// One waiter inline (the usual case: one poller per agency), else an array.
    private enum Bucket {
        case one(any PollWaiter)
        case many([any PollWaiter])

        var all: [any PollWaiter] {
            switch self {
            case .one(let w): [w]
            case .many(let ws): ws
            }
        }
    }

    private struct Waiters {
        var byTopic: [PollTopic: Bucket] = [:]
        var count = 0
        var earliest: ContinuousClock.Instant?
        var sweeping = false
        /// After `wakeAll` (shutdown) nothing waits: every poll is woken at once.
        var closed = false
    }

    private let waiters = Mutex(Waiters())
    let capacity: Int
    /// How late an expired poll may be answered: the sweeper's tick.
    static let tick: Duration = .milliseconds(20)

    init(capacity: Int) {
        self.capacity = capacity
    }

    var waiting: Int { waiters.withLock { $0.count } }

    var isClosed: Bool { waiters.withLock { $0.closed } }

    /// Registers `waiter` until its topic changes or its deadline passes. `isReady` is checked
    /// after registering, so a change that lands between the caller's check and the registration
    /// still wakes it. Returns false, registering nothing, when `admitted` is false and too many
    /// polls already wait (a poll waiting again after a wake-up was admitted before). After
    /// shutdown the waiter is woken at once.
    func wait(_ waiter: any PollWaiter, admitted: Bool, isReady: () -> Bool) -> Bool {
        let topic = waiter.topic
        let deadline = waiter.deadline
        let outcome = waiters.withLock { waiters -> (registered: Bool, full: Bool, startSweeper: Bool) in
            if waiters.closed { return (false, false, false) }
            guard admitted || waiters.count < capacity else { return (false, true, false) }
            switch waiters.byTopic[topic] {
            case nil: waiters.byTopic[topic] = .one(waiter)
            case .one(let other)?: waiters.byTopic[topic] = .many([other, waiter])
            case .many(var ws)?:
                waiters.byTopic[topic] = nil
                ws.append(waiter)
                waiters.byTopic[topic] = .many(ws)
            }
            waiters.count += 1
            if waiters.earliest.map({ deadline < $0 }) ?? true { waiters.earliest = deadline }
            let start = !waiters.sweeping
            waiters.sweeping = true
            return (true, false, start)
        }
        if outcome.full { return false }
        guard outcome.registered else {
            waiter.wake()
            return true
        }
        if outcome.startSweeper { Task { await self.sweep() } }
        if isReady(), remove(waiter) { waiter.wake() }
        return true
    }

    /// Forgets a poll whose connection has gone.
    func cancel(_ waiter: any PollWaiter) {
        _ = remove(waiter)
    }

    /// Wakes every poll waiting on these topics.
    func notify(_ topics: Set<String>) {
        let keys = topics.compactMap(PollTopic.init)
        guard !keys.isEmpty else { return }
        let woken = waiters.withLock { waiters -> [any PollWaiter] in
            var woken: [any PollWaiter] = []
            for topic in keys {
                guard let bucket = waiters.byTopic.removeValue(forKey: topic) else { continue }
                woken.append(contentsOf: bucket.all)
            }
            waiters.count -= woken.count
            return woken
        }
        for waiter in woken { waiter.wake() }
    }

    /// Wakes everything and lets nothing wait again (shutdown).
    func wakeAll() {
        let all = waiters.withLock { waiters -> [any PollWaiter] in
            let all = waiters.byTopic.values.flatMap(\.all)
            waiters.byTopic = [:]
            waiters.count = 0
            waiters.earliest = nil
            waiters.closed = true
            return all
        }
        for waiter in all { waiter.wake() }
    }

    /// Wakes expired polls every tick while any poll waits; ends when none is left.
    private func sweep() async {
        while true {
            try? await Task.sleep(for: Self.tick)
            let now = ContinuousClock.now
            let (expired, done) = waiters.withLock { waiters -> ([any PollWaiter], Bool) in
                if waiters.count == 0 {
                    waiters.sweeping = false
                    waiters.earliest = nil
                    return ([], true)
                }
                guard let earliest = waiters.earliest, earliest <= now else { return ([], false) }
                var expired: [any PollWaiter] = []
                var next: ContinuousClock.Instant?
                for topic in Array(waiters.byTopic.keys) {
                    guard let bucket = waiters.byTopic[topic] else { continue }
                    var kept: [any PollWaiter] = []
                    for waiter in bucket.all {
                        if waiter.deadline <= now {
                            expired.append(waiter)
                        } else {
                            kept.append(waiter)
                            if next.map({ waiter.deadline < $0 }) ?? true { next = waiter.deadline }
                        }
                    }
                    if kept.count == bucket.all.count { continue }
                    waiters.byTopic[topic] = kept.isEmpty ? nil : kept.count == 1 ? .one(kept[0]) : .many(kept)
                }
                waiters.count -= expired.count
                waiters.earliest = next
                return (expired, false)
            }
            for waiter in expired { waiter.wake() }
            if done { return }
        }
    }

    /// Takes `waiter` out of the hub; false when it was not there (already woken or cancelled).
    private func remove(_ waiter: any PollWaiter) -> Bool {
        let topic = waiter.topic
        return waiters.withLock { waiters -> Bool in
            guard let bucket = waiters.byTopic[topic] else { return false }
            var rest = bucket.all
            guard let i = rest.firstIndex(where: { $0 === waiter }) else { return false }
            rest.remove(at: i)
            waiters.byTopic[topic] = rest.isEmpty ? nil : rest.count == 1 ? .one(rest[0]) : .many(rest)
            waiters.count -= 1
            return true
        }
    }
}
