import Foundation
import Synchronization

/// Waiting long polls, by topic (`agency:<id>`, `escalations`). A waiting poll is a suspended
/// continuation, not a thread; a change to its topic resumes it, and one sweeper task (not a
/// timer per poll, which would cost a task each) resumes the polls whose wait has run out.
final class PollHub: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        var deadline: ContinuousClock.Instant
    }

    private struct Waiters {
        var byTopic: [String: [UInt64: Waiter]] = [:]
        var count = 0
        var nextID: UInt64 = 0
        var earliest: ContinuousClock.Instant?
        var sweeping = false
    }

    private let waiters = Mutex(Waiters())
    let capacity: Int
    /// How late an expired poll may be answered: the sweeper's tick.
    static let tick: Duration = .milliseconds(20)

    init(capacity: Int) {
        self.capacity = capacity
    }

    var waiting: Int { waiters.withLock { $0.count } }

    /// Suspends until `topic` changes or `timeout` passes. `isReady` is checked after the waiter
    /// is registered, so a change that lands between the caller's check and the wait still wakes it.
    /// Returns false at once, without waiting, when too many polls are already waiting.
    func wait(topic: String, timeout: Duration, isReady: @Sendable () -> Bool) async -> Bool {
        var admitted = true
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let deadline = ContinuousClock.now + timeout
            let registered = waiters.withLock { waiters -> (id: UInt64, startSweeper: Bool)? in
                guard waiters.count < capacity else { return nil }
                waiters.nextID += 1
                waiters.byTopic[topic, default: [:]][waiters.nextID] = Waiter(continuation: continuation, deadline: deadline)
                waiters.count += 1
                if waiters.earliest.map({ deadline < $0 }) ?? true { waiters.earliest = deadline }
                let start = !waiters.sweeping
                waiters.sweeping = true
                return (waiters.nextID, start)
            }
            guard let registered else {
                admitted = false
                continuation.resume()
                return
            }
            if registered.startSweeper { Task { await self.sweep() } }
            if isReady() { remove(topic: topic, id: registered.id)?.continuation.resume() }
        }
        return admitted
    }

    /// Wakes every poll waiting on these topics.
    func notify(_ topics: Set<String>) {
        guard !topics.isEmpty else { return }
        let woken = waiters.withLock { waiters -> [Waiter] in
            var woken: [Waiter] = []
            for topic in topics {
                guard let entries = waiters.byTopic.removeValue(forKey: topic) else { continue }
                woken.append(contentsOf: entries.values)
                waiters.count -= entries.count
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes everything (shutdown).
    func wakeAll() {
        let all = waiters.withLock { waiters -> [Waiter] in
            let all = waiters.byTopic.values.flatMap(\.values)
            waiters.byTopic = [:]
            waiters.count = 0
            waiters.earliest = nil
            return all
        }
        for waiter in all { waiter.continuation.resume() }
    }

    /// Resumes expired polls every tick while any poll waits; ends when none is left.
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
                    for (id, waiter) in entries {
                        if waiter.deadline <= now {
                            expired.append(waiter)
                            entries[id] = nil
                        } else if next.map({ waiter.deadline < $0 }) ?? true {
                            next = waiter.deadline
                        }
                    }
                    waiters.byTopic[topic] = entries.isEmpty ? nil : entries
                }
                waiters.count -= expired.count
                waiters.earliest = next
                return (expired, false)
            }
            for waiter in expired { waiter.continuation.resume() }
            if done { return }
        }
    }

    private func remove(topic: String, id: UInt64) -> Waiter? {
        waiters.withLock { waiters -> Waiter? in
            guard let waiter = waiters.byTopic[topic]?.removeValue(forKey: id) else { return nil }
            if waiters.byTopic[topic]?.isEmpty == true { waiters.byTopic[topic] = nil }
            waiters.count -= 1
            return waiter
        }
    }
}
