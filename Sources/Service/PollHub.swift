import Foundation
import Synchronization

/// Waiting long polls, by topic (`agency:<id>`, `escalations`). A waiting poll is a suspended
/// continuation, not a thread; a change to its topic or its timer resumes it, whichever is first.
final class PollHub: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?
    }

    private struct Waiters {
        var byTopic: [String: [UInt64: Waiter]] = [:]
        var count = 0
        var nextID: UInt64 = 0
    }

    private let waiters = Mutex(Waiters())
    let capacity: Int

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
            let id = waiters.withLock { waiters -> UInt64? in
                guard waiters.count < capacity else { return nil }
                waiters.nextID += 1
                waiters.byTopic[topic, default: [:]][waiters.nextID] = Waiter(continuation: continuation)
                waiters.count += 1
                return waiters.nextID
            }
            guard let id else {
                admitted = false
                continuation.resume()
                return
            }
            if isReady() {
                remove(topic: topic, id: id)?.continuation.resume()
                return
            }
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.remove(topic: topic, id: id)?.continuation.resume()
            }
            let stillWaiting = waiters.withLock { waiters -> Bool in
                guard waiters.byTopic[topic]?[id] != nil else { return false }
                waiters.byTopic[topic]?[id]?.timer = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
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
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
    }

    /// Wakes everything (shutdown).
    func wakeAll() {
        let all = waiters.withLock { waiters -> [Waiter] in
            let all = waiters.byTopic.values.flatMap(\.values)
            waiters.byTopic = [:]
            waiters.count = 0
            return all
        }
        for waiter in all {
            waiter.timer?.cancel()
            waiter.continuation.resume()
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
