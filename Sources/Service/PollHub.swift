import Foundation
import Synchronization

/// What a long poll waits on: one agency's handoff feed, or the control room's escalations. A
/// waiting poll's key shares its agency id's storage instead of holding a string of its own.
enum PollTopic: Hashable, Sendable {
    case agency(String)
    case escalations
}

/// What waits in the poll hub: a long poll holding its HTTP responder. `wake` runs on the waking
/// thread (the committer's, the sweeper's, the loop's) and must be quick.
protocol PollWaiter: AnyObject, Sendable {
    var topic: PollTopic { get }
    var deadline: ContinuousClock.Instant { get }
    func wake()
}

/// Waiting long polls, by topic (an agency's feed, or the escalations). A waiting poll is its waiter
/// object and nothing else: no Task, no continuation, no thread, no per-poll timer. A change to
/// its topic wakes it, and one sweeper task wakes the polls whose wait has run out.
final class PollHub: Sendable {
    private struct Waiters {
        var table = WaiterTable()
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

    var waiting: Int { waiters.withLock { $0.table.count } }

    var isClosed: Bool { waiters.withLock { $0.closed } }

    /// Registers `waiter` until its topic changes or its deadline passes. `isReady` is checked
    /// after registering, so a change that lands between the caller's check and the registration
    /// still wakes it. Returns false, registering nothing, when `admitted` is false and too many
    /// polls already wait (a poll waiting again after a wake-up was admitted before). After
    /// shutdown the waiter is woken at once.
    func wait(_ waiter: any PollWaiter, admitted: Bool, isReady: () -> Bool) -> Bool {
        let deadline = waiter.deadline
        let outcome = waiters.withLock { waiters -> (registered: Bool, full: Bool, startSweeper: Bool) in
            if waiters.closed { return (false, false, false) }
            guard admitted || waiters.table.count < capacity else { return (false, true, false) }
            waiters.table.insert(waiter)
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
    func notify(_ keys: [PollTopic]) {
        guard !keys.isEmpty else { return }
        let woken = waiters.withLock { waiters -> [any PollWaiter] in
            var woken: [any PollWaiter] = []
            for topic in keys { waiters.table.removeAll(topic, into: &woken) }
            return woken
        }
        for waiter in woken { waiter.wake() }
    }

    /// Wakes everything and lets nothing wait again (shutdown).
    func wakeAll() {
        let all = waiters.withLock { waiters -> [any PollWaiter] in
            let all = waiters.table.removeAll()
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
                if waiters.table.count == 0 {
                    waiters.sweeping = false
                    waiters.earliest = nil
                    return ([], true)
                }
                guard let earliest = waiters.earliest, earliest <= now else { return ([], false) }
                let (expired, next) = waiters.table.removeExpired(at: now)
                waiters.earliest = next
                return (expired, false)
            }
            for waiter in expired { waiter.wake() }
            if done { return }
        }
    }

    /// Takes `waiter` out of the hub; false when it was not there (already woken or cancelled).
    private func remove(_ waiter: any PollWaiter) -> Bool {
        waiters.withLock { $0.table.remove(waiter) }
    }
}

/// The waiting polls themselves, as compactly as a hash table allows: one 16-byte reference per
/// slot, found by its topic with linear probing (several polls of one topic sit in one probe
/// run). A dictionary of topic to waiters costs 40 bytes per bucket at twice the buckets, which
/// for a thousand waiting partners was more than their polls' own objects.
struct WaiterTable {
    private var slots: [(any PollWaiter)?] = []
    private(set) var count = 0

    /// Grows by half when more than 7/8 full, keeping probe runs short without doubling.
    private static func capacity(for count: Int) -> Int { max(8, count + count / 2) }

    private func home(_ topic: PollTopic) -> Int {
        Int(UInt(bitPattern: topic.hashValue) % UInt(slots.count))
    }

    mutating func insert(_ waiter: any PollWaiter) {
        if (count + 1) * 8 > slots.count * 7 { resize(to: Self.capacity(for: count + 1)) }
        var i = home(waiter.topic)
        while slots[i] != nil { i = (i + 1) % slots.count }
        slots[i] = waiter
        count += 1
    }

    /// Takes out this very waiter; false when it is not here.
    mutating func remove(_ waiter: any PollWaiter) -> Bool {
        guard count > 0 else { return false }
        var i = home(waiter.topic)
        while let w = slots[i] {
            if w === waiter {
                delete(at: i)
                return true
            }
            i = (i + 1) % slots.count
        }
        return false
    }

    /// Takes out every waiter on `topic`, appending them to `woken`.
    mutating func removeAll(_ topic: PollTopic, into woken: inout [any PollWaiter]) {
        guard count > 0 else { return }
        var i = home(topic)
        while let w = slots[i] {
            if w.topic == topic {
                woken.append(w)
                delete(at: i)  // shifts a later member of the run into i: look at i again
            } else {
                i = (i + 1) % slots.count
            }
        }
    }

    /// Takes out everything.
    mutating func removeAll() -> [any PollWaiter] {
        let all = slots.compactMap { $0 }
        slots = []
        count = 0
        return all
    }

    /// Takes out the waiters whose deadline has passed; also says the earliest deadline left.
    mutating func removeExpired(at now: ContinuousClock.Instant) -> ([any PollWaiter], ContinuousClock.Instant?) {
        let expired = slots.compactMap { $0 }.filter { $0.deadline <= now }
        for waiter in expired { _ = remove(waiter) }
        var next: ContinuousClock.Instant?
        for case let w? in slots where next.map({ w.deadline < $0 }) ?? true { next = w.deadline }
        if count * 4 < slots.count && slots.count > 8 { resize(to: Self.capacity(for: count)) }
        return (expired, next)
    }

    /// Empties slot `i` and moves later members of its probe run back, so that every waiter stays
    /// reachable from its home slot without tombstones.
    private mutating func delete(at i: Int) {
        var hole = i
        slots[hole] = nil
        count -= 1
        var j = (hole + 1) % slots.count
        while let w = slots[j] {
            let h = home(w.topic)
            // w may move into the hole if its home is not in the cyclic range (hole, j].
            let between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !between {
                slots[hole] = w
                slots[j] = nil
                hole = j
            }
            j = (j + 1) % slots.count
        }
    }

    private mutating func resize(to capacity: Int) {
        let old = slots
        slots = Array(repeating: nil, count: capacity)
        count = 0
        for case let w? in old {
            var i = home(w.topic)
            while slots[i] != nil { i = (i + 1) % slots.count }
            slots[i] = w
            count += 1
        }
    }
}
