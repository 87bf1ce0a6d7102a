/// The service's only store: an append-only, hash-chained event log. The Service talks to this
/// protocol so that a PostgreSQL-backed ledger can replace the embedded file ledger later.
public protocol Ledger: Sendable {
    /// Appends the events as consecutive records and returns once an fsync covers them
    /// (group commit: concurrent callers share fsyncs). Throws at once once failed.
    /// Not cancellable: once handed over, the records commit even if the caller is cancelled.
    func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord]
    /// `append` for a caller on a thread of its own that may block (the service's committer): it
    /// returns once an fsync covers the records, like `append`. A ledger may then do the write
    /// and the sync on the caller's thread, which saves the thread hand-offs of the async path.
    func appendWaiting(_ events: [LedgerEvent]) -> Result<[LedgerRecord], LedgerError>
    /// Committed records with `seq >= seq`, oldest first, at most `limit` of them.
    func records(from seq: UInt64, limit: Int) throws(LedgerError) -> [LedgerRecord]
    /// The newest committed record's seq and hash; (0, 64 zeros) when empty.
    var head: (seq: UInt64, hash: String) { get }
    /// nil while writable; the reason otherwise (→ /readyz 503).
    var failure: String? { get }
    /// Stores folded state covering records 1...throughSeq: temp file, fsync, rename, fsync dir.
    func writeSnapshot(_ state: [UInt8], throughSeq: UInt64) throws(LedgerError)
    /// The newest snapshot that passes its checksum and matches the chain; nil if none.
    func latestSnapshot() throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])?
    /// Framing, CRCs, seq continuity and the hash chain over every committed record, read again
    /// from storage (`FileLedger.verify(full: false)` checks only past what it already verified).
    func verify() throws(LedgerError) -> (records: UInt64, headHash: String)
}

extension Ledger {
    /// Waits for `append` on the calling thread (never call it from a task: it blocks).
    public func appendWaiting(_ events: [LedgerEvent]) -> Result<[LedgerRecord], LedgerError> {
        let box = AppendOutcome()
        Task {
            do throws(LedgerError) { box.set(.success(try await append(events))) } catch { box.set(.failure(error)) }
        }
        return box.wait()
    }
}
