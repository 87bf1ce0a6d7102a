import Foundation
import JSON
import Synchronization

/// A ledger held in memory, for tests of the layers above: the same records, seqs, times and
/// hashes as `FileLedger` (the same payload layout), no disk. `failWrites(reason:)` puts it into
/// the failed state as a failed fsync would.
public final class MemoryLedger: Ledger {
    private struct State: Sendable {
        var records: [LedgerRecord] = []
        var failure: String?
        var snapshots: [(throughSeq: UInt64, state: [UInt8])] = []
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Date
    private let maxRecordBytes: Int

    public init(clock: @escaping @Sendable () -> Date = Date.init, maxRecordBytes: Int = FileLedgerOptions().maxRecordBytes) {
        self.clock = clock
        self.maxRecordBytes = maxRecordBytes
    }

    /// From now on every append fails with `.failed(reason:)`, as after a failed fsync.
    public func failWrites(reason: String) {
        state.withLock { if $0.failure == nil { $0.failure = reason } }
    }

    public func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        let encoded = events.map { ($0, JSONValue.string($0.type).serialized(), JSONValue.string($0.actor).serialized(), $0.body.serialized()) }
        for (_, type, actor, body) in encoded where type.count + actor.count + body.count + RecordLayout.overheadBound > maxRecordBytes {
            throw .recordTooLarge
        }
        let now = clock()
        let atText = RFC3339.format(now)
        let at = RFC3339.parse(atText) ?? now
        let result: Result<[LedgerRecord], LedgerError> = state.withLock { state in
            if let failure = state.failure { return .failure(.failed(reason: failure)) }
            var out: [LedgerRecord] = []
            var prev = state.records.last?.hash ?? RecordLayout.genesisHash
            for (event, type, actor, body) in encoded {
                let seq = UInt64(state.records.count + 1)
                var payload = RecordLayout.unsealed(seq: seq, at: atText, typeJSON: type, actorJSON: actor, bodyJSON: body, prevHash: Array(prev.utf8))
                let hash = String(decoding: RecordLayout.seal(&payload), as: UTF8.self)
                let record = LedgerRecord(seq: seq, at: at, type: event.type, actor: event.actor, body: event.body, prevHash: prev, hash: hash)
                state.records.append(record)
                out.append(record)
                prev = hash
            }
            return .success(out)
        }
        return try result.get()
    }

    public func records(from seq: UInt64, limit: Int) throws(LedgerError) -> [LedgerRecord] {
        state.withLock { state in
            let start = Int(min(max(seq, 1), UInt64(state.records.count + 1))) - 1
            return Array(state.records[start...].prefix(max(0, limit)))
        }
    }

    public var head: (seq: UInt64, hash: String) {
        state.withLock { (UInt64($0.records.count), $0.records.last?.hash ?? RecordLayout.genesisHash) }
    }

    public var failure: String? {
        state.withLock { $0.failure }
    }

    public func writeSnapshot(_ snapshot: [UInt8], throughSeq: UInt64) throws(LedgerError) {
        let result: Result<Void, LedgerError> = state.withLock { state in
            guard throughSeq <= UInt64(state.records.count) else {
                return .failure(.io("snapshot through seq \(throughSeq) is beyond the ledger head \(state.records.count)"))
            }
            state.snapshots.append((throughSeq, snapshot))
            state.snapshots.sort { $0.throughSeq < $1.throughSeq }
            return .success(())
        }
        try result.get()
    }

    public func latestSnapshot() throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])? {
        state.withLock { $0.snapshots.last }
    }

    /// Recomputes every hash from the records' fields and checks the chain.
    public func verify() throws(LedgerError) -> (records: UInt64, headHash: String) {
        let records = state.withLock { $0.records }
        var prev = RecordLayout.genesisHash
        for (index, record) in records.enumerated() {
            var payload = RecordLayout.unsealed(
                seq: record.seq, at: RFC3339.format(record.at), typeJSON: JSONValue.string(record.type).serialized(),
                actorJSON: JSONValue.string(record.actor).serialized(), bodyJSON: record.body.serialized(), prevHash: Array(prev.utf8))
            let hash = String(decoding: RecordLayout.seal(&payload), as: UTF8.self)
            guard record.seq == UInt64(index + 1), record.prevHash == prev, record.hash == hash else {
                throw .corrupt(segment: "memory", offset: index, reason: "seq \(record.seq): hash chain broken")
            }
            prev = hash
        }
        return (UInt64(records.count), prev)
    }
}
