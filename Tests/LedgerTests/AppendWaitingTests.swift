#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import Ledger

/// `FileLedger.appendWaiting`, the committer's blocking append: the caller's own thread writes
/// and syncs when the ledger is idle, and nothing returns before a sync covers it.
@Suite struct AppendWaitingTests {
    /// Runs `body` on `count` threads of their own (appendWaiting blocks: never on the task pool).
    private static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        group.wait()
    }

    @Test func anIdleLedgerSyncsOnTheCallersThread() throws {
        let dir = TemporaryDirectory()
        final class Threads: Sendable { let syncing = Mutex<[pthread_t]>([]) }
        let threads = Threads()
        var options = LedgerFixture.options(zeroFillBytes: 0)
        options.sync = { fd in
            threads.syncing.withLock { $0.append(pthread_self()) }
            return fdatasync(fd) == 0 ? 0 : errno
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        final class Caller: Sendable { let thread = Mutex<pthread_t?>(nil) }
        let caller = Caller()
        Self.onThreads(1) { _ in
            caller.thread.withLock { $0 = pthread_self() }
            for n in 1...5 { _ = ledger.appendWaiting([LedgerFixture.event(n)]) }
        }
        let synced = threads.syncing.withLock { $0 }
        let callerThread = try #require(caller.thread.withLock { $0 })
        #expect(synced.count == 5)
        #expect(synced.allSatisfy { pthread_equal($0, callerThread) != 0 }, "a sync ran on another thread")
        #expect(ledger.head.seq == 5)
    }

    /// Waiting threads and async appenders together: every append returns only after a sync
    /// that started once its record was in the file, seqs are unique and gapless, and the chain
    /// verifies.
    @Test func waitingAndAsyncAppendsShareTheLedgerAndReturnOnlyWhenDurable() async throws {
        let dir = TemporaryDirectory()
        let segment = dir.ledger + "/00000000000000000001.log"
        // The file's size when the last successful sync began: with no zero region, all of it
        // is then durable.
        final class Durable: Sendable { let bytes = Mutex(0) }
        let durable = Durable()
        var options = LedgerFixture.options(zeroFillBytes: 0)
        options.sync = { fd in
            var info = stat()
            fstat(fd, &info)
            guard fdatasync(fd) == 0 else { return errno }
            durable.bytes.withLock { $0 = max($0, Int(info.st_size)) }
            return 0
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        // A record's end in the file, read back when its append returned.
        @Sendable func endOf(_ seq: UInt64) throws -> Int? {
            let bytes = try LedgerFixture.read(segment)
            return LedgerFixture.frames(bytes).first { LedgerFixture.payload(bytes, $0).starts(with: Array("{\"seq\":\(seq),".utf8)) }
                .map { $0.offset + 8 + $0.length }
        }
        final class Seen: Sendable { let seqs = Mutex<[UInt64]>([]); let uncovered = Mutex<[UInt64]>([]) }
        let seen = Seen()
        @Sendable func check(_ records: [LedgerRecord]) throws {
            for record in records {
                seen.seqs.withLock { $0.append(record.seq) }
                let end = try endOf(record.seq)
                if end == nil || end! > durable.bytes.withLock({ $0 }) { seen.uncovered.withLock { $0.append(record.seq) } }
            }
        }
        async let tasks: Void = withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask { for i in 0..<20 { try check(try await ledger.append([LedgerFixture.event(1000 + t * 100 + i)])) } }
            }
            try await group.waitForAll()
        }
        Self.onThreads(4) { t in
            for i in 0..<20 {
                let events = [LedgerFixture.event(t * 100 + i), LedgerFixture.event(t * 100 + i + 50)]
                switch ledger.appendWaiting(events) {
                case .success(let records): try? check(records)
                case .failure(let error): Issue.record("appendWaiting failed: \(error)")
                }
            }
        }
        try await tasks
        ledger.close()
        let seqs = seen.seqs.withLock { $0 }.sorted()
        #expect(seqs == Array(1...UInt64(8 * 20 + 4 * 20 * 2)))
        #expect(seen.uncovered.withLock { $0 }.isEmpty, "returned before a sync covered them: \(seen.uncovered.withLock { $0 })")
        let verified = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(verified.records == UInt64(seqs.count) && verified.tornTail == nil)
    }

    @Test func aFailedSyncFailsTheWaitingAppendAndEveryLaterOne() throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options(zeroFillBytes: 0)
        options.sync = { _ in EIO }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        final class Outcomes: Sendable { let all = Mutex<[Result<[LedgerRecord], LedgerError>]>([]) }
        let outcomes = Outcomes()
        Self.onThreads(1) { _ in
            for n in 1...2 { outcomes.all.withLock { [result = ledger.appendWaiting([LedgerFixture.event(n)])] in $0.append(result) } }
        }
        let results = outcomes.all.withLock { $0 }
        #expect(results.count == 2)
        for result in results {
            guard case .failure(.failed) = result else {
                Issue.record("expected a failure, got \(result)")
                continue
            }
        }
        #expect(ledger.failure != nil)
    }

    @Test func appendWaitingOnAClosedLedgerFailsAtOnce() throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        ledger.close()
        guard case .failure(.io) = ledger.appendWaiting([LedgerFixture.event(1)]) else {
            Issue.record("a closed ledger took an append")
            return
        }
    }
}
