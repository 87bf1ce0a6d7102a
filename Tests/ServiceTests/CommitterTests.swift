import Foundation
import HTTPServer
import JSON
import Ledger
import Logging
import Synchronization
import Testing
@testable import Service

/// A ledger scripted by event body: `"size": "huge"` is too large for it (alone or in a batch,
/// nothing written), `"fail": true` fails the append as a failed fsync would; the first append
/// waits until the test opens its gate, so that the commands sent meanwhile form one batch.
private final class ScriptedLedger: Ledger {
    let inner = MemoryLedger()
    private let gate = Mutex<(open: Bool, waiting: CheckedContinuation<Void, Never>?, entered: CheckedContinuation<Void, Never>?, appends: Int)>(
        (false, nil, nil, 0))

    /// Returns once the first append is waiting at the gate.
    func firstAppendWaits() async {
        await withCheckedContinuation { continuation in
            let now = gate.withLock { state -> Bool in
                if state.waiting != nil { return true }
                state.entered = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func openGate() {
        let waiting = gate.withLock { state -> CheckedContinuation<Void, Never>? in
            state.open = true
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume()
    }

    func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        let first = gate.withLock { state -> Bool in
            state.appends += 1
            return state.appends == 1
        }
        if first {
            await withCheckedContinuation { continuation in
                let (open, entered) = gate.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                    if !state.open { state.waiting = continuation }
                    defer { state.entered = nil }
                    return (state.open, state.entered)
                }
                entered?.resume()
                if open { continuation.resume() }
            }
        }
        if events.contains(where: { $0.body["size"] == "huge" }) { throw .recordTooLarge }
        if events.contains(where: { $0.body["fail"] == true }) {
            inner.failWrites(reason: "fsync: EIO (scripted)")
            throw .failed(reason: "fsync: EIO (scripted)")
        }
        return try await inner.append(events)
    }

    func records(from seq: UInt64, limit: Int) throws(LedgerError) -> [LedgerRecord] { try inner.records(from: seq, limit: limit) }
    var head: (seq: UInt64, hash: String) { inner.head }
    var failure: String? { inner.failure }
    func writeSnapshot(_ state: [UInt8], throughSeq: UInt64) throws(LedgerError) { try inner.writeSnapshot(state, throughSeq: throughSeq) }
    func latestSnapshot() throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])? { try inner.latestSnapshot() }
    func verify() throws(LedgerError) -> (records: UInt64, headHash: String) { try inner.verify() }
}

/// The answers a test's commands got, in the order they came.
private final class Answers: Sendable {
    private let received = Mutex<[String: Int]>([:])

    func record(_ name: String, _ response: HTTPResponse) {
        received.withLock { $0[name] = response.status }
    }

    var statuses: [String: Int] { received.withLock { $0 } }
}

@Suite struct CommitterTests {
    private func makeCommitter(_ ledger: any Ledger) -> (Committer, DurableState) {
        let state = DurableState()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let committer = Committer(ledger: ledger, state: state, clock: Date.init, maxBatch: 64, logger: logger, metrics: ServiceMetrics())
        return (committer, state)
    }

    private func command(_ name: String, _ extra: JSONObject = [:]) -> Command {
        var body: JSONObject = ["name": .string(name)]
        for (key, value) in extra { body[key] = value }
        let event = LedgerEvent(type: "data.read", actor: "test", body: .object(body))
        return Command(conflictKeys: ["test:\(name)"]) { _, _ in .record(event, answer: HTTPResponse(status: 201)) }
    }

    /// A batch split because one record is too large: a record appended before a later append
    /// failed is on disk, so its request gets its answer, never a 503; the oversized one gets
    /// 413 and only the one whose append failed gets 503.
    @Test func aRecordOnDiskIsAnsweredEvenWhenALaterAppendOfItsBatchFails() async throws {
        let ledger = ScriptedLedger()
        let (committer, _) = makeCommitter(ledger)
        let answers = Answers()
        async let blocker = committer.submit(command("blocker"), requestID: "r0")
        await ledger.firstAppendWaits()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Mutex(3)
            for (name, extra) in [("kept", [:]), ("huge", ["size": "huge"]), ("failing", ["fail": true])] as [(String, JSONObject)] {
                committer.submit(command(name, extra), requestID: name) { response in
                    answers.record(name, response)
                    if remaining.withLock({ $0 -= 1; return $0 == 0 }) { done.resume() }
                }
            }
            ledger.openGate()
        }
        #expect(await blocker.status == 201)
        #expect(answers.statuses == ["kept": 201, "huge": 413, "failing": 503])
        let names = try ledger.records(from: 1, limit: 10).compactMap { $0.body["name"]?.stringValue }
        #expect(names == ["blocker", "kept"])
        #expect(committer.failure != nil)
    }

    /// Long polls are woken after a batch's answers are sent, so a commit's latency never
    /// includes the poll fan-out.
    @Test func waitersAreAnsweredBeforeTheAfterCommitWork() async throws {
        let ledger = ScriptedLedger()
        ledger.openGate()
        let (committer, _) = makeCommitter(ledger)
        let answered = Mutex(false)
        let answeredBeforeApplied = Mutex<Bool?>(nil)
        committer.onApplied { _ in
            answeredBeforeApplied.withLock { if $0 == nil { $0 = answered.withLock { $0 } } }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            committer.submit(command("one"), requestID: "r1") { response in
                answered.withLock { $0 = response.status == 201 }
                done.resume()
            }
        }
        // The handler runs on the committer's task right after the answers: wait for it.
        while answeredBeforeApplied.withLock({ $0 }) == nil { await Task.yield() }
        #expect(answeredBeforeApplied.withLock { $0 } == true)
    }
}
