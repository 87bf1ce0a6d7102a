import Dispatch
import Synchronization

/// One append's result, set once by whichever thread completes it and waited for by the
/// thread that appended (`Ledger.appendWaiting`).
final class AppendOutcome: Sendable {
    private let result = Mutex<Result<[LedgerRecord], LedgerError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func set(_ outcome: Result<[LedgerRecord], LedgerError>) {
        result.withLock { $0 = outcome }
        done.signal()
    }

    func wait() -> Result<[LedgerRecord], LedgerError> {
        done.wait()
        return result.withLock { $0! }
    }
}
