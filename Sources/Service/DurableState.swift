import Foundation
import Handoffs
import Ledger
import Synchronization

/// The folded state of every durable record. Readers look inside under the lock and copy out
/// only what they answer with; only the committer changes it, after the ledger's fsync.
final class DurableState: Sendable {
    private let state = Mutex(ServiceState())

    func read<T>(_ body: (borrowing ServiceState) throws -> T) rethrows -> T {
        try state.withLock { try body($0) }
    }

    /// Applies durable records one lock at a time: a reader between two of them sees a state
    /// that is still entirely on disk.
    func apply(_ records: [LedgerRecord]) throws(StateFoldError) {
        for record in records {
            try state.withLock { (state: inout ServiceState) throws(StateFoldError) in
                try state.apply(seq: record.seq, at: record.at, type: record.type, actor: record.actor, body: record.body)
            }
        }
    }

    func replace(with newState: ServiceState) {
        state.withLock { $0 = newState }
    }
}
