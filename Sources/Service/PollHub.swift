import Foundation
import Synchronization

/// Waiting long polls, by topic (`agency:<id>`, `escalations`). A waiting poll is a small record
/// holding the `wake` closure its handler left (which holds the HTTP responder): no Task, no
/// continuation, no thread. A change to its topic wakes it, and one sweeper task (not a timer per
/// poll) wakes the polls whose wait has run out. `wake` runs on the waking thread and must be quick.
final class PollHub: Sendable {
    private struct Waiter {
        var id: UInt64
        var deadline: ContinuousClock.Instant
        var wake: @Sendable () -> Void
    }

    private struct Waiters {
        var byTopic: [String: [Waiter]] = [:]
        var count = 0
        var earliest: ContinuousClock.Instant?
        var sweeping = false
        /// After `wakeAll` (shutdown) nothing waits: every poll is woken at once.
        var closed = false
    }

    private let waiters = Mutex(Waiters())
    private let ids = Atomic<UInt64>(0)
    let capacity: Int
    /// How late an expired poll may be answered: the sweeper's tick.
    static let tick: Duration = .milliseconds(20)

    init(capacity: Int) {
        self.capacity = capacity
    }

    var waiting: Int { waiters.withLock { $0.count } }

    var isClosed: Bool { waiters.withLock { $0.closed } }

    /// A fresh waiter id, stable across the re-registrations of one poll.
    func makeID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Registers `wake` under `topic` until the topic changes or `deadline` passes. `isReady` is
    /// checked after registering, so a change that lands between the caller's check and the
    /// registration still wakes it. Returns false, registering nothing, when `admitted` is false
    /// and too many polls already wait (a poll re-registering after a wake-up was admitted before).
    func wait(topic: String, id: UInt64, deadline: ContinuousClock.Instant, admitted: Bool,
              isReady: () -> Bool, wake: @escaping @Sendable () -> Void) -> Bool {
        let outcome = waiters.withLock { waiters -> (registered: Bool, full: Bool, startSweeper: Bool) in
            if waiters.closed { return (false, false, false) }
            guard admitted || waiters.count < capacity else { return (false, true, false) }
            waiters.byTopic[topic, default: []].append(Waiter(id: id, deadline: deadline, wake: wake))
            waiters.count += 1
            if waiters.earliest.map({ deadline < $0 }) ?? true { waiters.earliest = deadline }
            let start = !waiters.sweeping
            waiters.sweeping = true
            return (true, false, start)
        }
        if outcome.full { return false }
        guard outcome.registered else {
            wake()
            return true
        }
        if outcome.startSweeper { Task { await self.sweep() } }
        if isReady(), let waiter = remove(topic: topic, id: id) { waiter.wake() }
        return true
    }

    /// Forgets a poll whose connection has gone.
    func cancel(topic: String, id: UInt64) {
        _ = remove(topic: topic, id: id)
    }

    /// Wakes every poll waiting on these topics.
    func notify(_ topics: Set<String>) {
        guard !topics.isEmpty else { return }
        let woken = waiters.withLock { waiters -> [Waiter] in
            var woken: [Waiter] = []
            for topic in topics {
                guard let entries = waiters.byTopic.removeValue(forKey: topic) else { continue }
                woken.append(contentsOf: entries)
                waiters.count -= entries.count
            }
            return woken
        }
        for waiter in woken { waiter.wake() }
    }

    /// Wakes everything and lets nothing wait again (shutdown).
    func wakeAll() {
        let all = waiters.withLock { waiters -> [Waiter] in
            let all = waiters.byTopic.values.flatMap { $0 }
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
            let (expired, done) = waiters.withLock { waiters -> ([Waiter], Bool) in
                if waiters.count == 0 {
                    waiters.sweeping = false
                    waiters.earliest = nil
                    return ([], true)
                }
                guard let earliest = waiters.earliest, earliest <= now else { return ([], false) }
                var expired: [Waiter] = []
                var next: ContinuousClock.Instant?
                for topic in Array(waiters.byTopic.keys) {
                    guard var entries = waiters.byTopic[topic] else { continue }
                    entries.removeAll { waiter in
                        if waiter.deadline <= now {
                            expired.append(waiter)
                            return true
                        }
                        if next.map({ waiter.deadline < $0 }) ?? true { next = waiter.deadline }
                        return false
                    }
                    waiters.byTopic[topic] = entries.isEmpty ? nil : entries
                }
                waiters.count -= expired.count
                waiters.earliest = next
                return (expired, false)
            }
            for waiter in expired { waiter.wake() }
            if done { return }
        }
    }

    private func remove(topic: String, id: UInt64) -> Waiter? {
        waiters.withLock { waiters -> Waiter? in
            guard let i = waiters.byTopic[topic]?.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = waiters.byTopic[topic]!.remove(at: i)
            if waiters.byTopic[topic]?.isEmpty == true { waiters.byTopic[topic] = nil }
            waiters.count -= 1
            return waiter
        }
    }
}
