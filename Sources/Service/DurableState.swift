import Foundation
import Handoffs
import Ledger
import Synchronization

/// The folded state of every durable record. Readers look inside under the lock and copy out
/// only what they answer with; only the committer changes it, after the ledger's fsync.
final class DurableState: Sendable {
    private let state = Mutex(ServiceState())
    /// How long the committer held the lock per batch (read by the service's timings).
    private let holds = Mutex(LockHolds())

    func read<T>(_ body: (borrowing ServiceState) throws -> T) rethrows -> T {
        try state.withLock { try body($0) }
    }

    /// `read`, unless another thread holds the lock now (nil then): for work that has somewhere
    /// else to go rather than wait (a waiter parks in the kernel, at a cost to both sides).
    func readIfFree<T: Sendable>(_ body: (borrowing ServiceState) -> T) -> T? {
        state.withLockIfAvailable { body($0) }
    }

    /// Applies durable records one lock at a time: a reader between two of them sees a state
    /// that is still entirely on disk. `callBytes`, when given, has one entry per record: its
    /// `call` member already serialised, or nil. The feeds the applied records changed are added
    /// to `effects`, those of the records before a refused one included.
    func apply(_ records: [LedgerRecord], callBytes: [[UInt8]?] = [], effects: inout FoldEffects) throws(StateFoldError) {
        var held = Duration.zero
        // Whether a large collection grew (rehashed) in this batch, from its capacities.
        let capacity = state.withLock { $0.largestCapacities }
        var grew = false
        defer {
            grew = state.withLock { $0.largestCapacities } != capacity
            holds.withLock { holds in
                if holds.sharedWithSnapshot {
                    holds.afterSnapshot.record(held)
                    holds.sharedWithSnapshot = false
                } else if grew {
                    holds.growing.record(held)
                } else {
                    holds.ordinary.record(held)
                }
            }
        }
        let hinted = callBytes.count == records.count
        for (index, record) in records.enumerated() {
            let applied = try state.withLock { (state: inout ServiceState) throws(StateFoldError) -> FoldEffects in
                let started = ContinuousClock.now
                defer { held += ContinuousClock.now - started }
                return try state.apply(seq: record.seq, at: record.at, type: record.type, actor: record.actor, body: record.body,
                                       callBytes: hinted ? callBytes[index] : nil)
            }
            effects.merge(applied)
        }
    }

    /// What a snapshot encodes; it shares storage with the state until the committer next
    /// changes it (that batch is timed as `afterSnapshot`).
    func snapshotSource() -> StateSnapshot.Source {
        state.withLock { state in
            holds.withLock { $0.sharedWithSnapshot = true }
            return StateSnapshot.Source(state)
        }
    }

    var lockHolds: LockHolds { holds.withLock { $0 } }

    func replace(with newState: ServiceState) {
        state.withLock { $0 = newState }
    }
}
