import Foundation
import HTTPServer
import JSON
import Ledger
import Logging
import Synchronization
import Testing
@testable import Service

/// A ledger scripted by event body: `"size": "huge"` is too large for it (alone or in a batch,
/// nothing written), `"fail": true` fails the append as a failed fsync would. The appends whose
/// numbers (from 1) are held wait until the test releases them, so that the commands sent
/// meanwhile queue up behind a batch in flight.
private final class ScriptedLedger: Ledger {
    let inner = MemoryLedger()

    private struct Gates {
        var held: Set<Int>
        var appends = 0
        /// Appends waiting at their gate, by number.
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Tests waiting for an append to reach its gate, by number.
        var watchers: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let gates: Mutex<Gates>

    init(held: Set<Int> = [1]) {
        gates = Mutex(Gates(held: held))
    }

    /// Returns once append `number` is waiting at its gate.
    func appendWaits(_ number: Int) async {
        await withCheckedContinuation { continuation in
            let now = gates.withLock { gates -> Bool in
                if gates.waiting[number] != nil { return true }
                gates.watchers[number] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release(_ number: Int) {
        let waiting = gates.withLock { gates -> CheckedContinuation<Void, Never>? in
            gates.held.remove(number)
            return gates.waiting.removeValue(forKey: number)
        }
        waiting?.resume()
    }

    func firstAppendWaits() async { await appendWaits(1) }
    func openGate() { release(1) }

    func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        let (number, held) = gates.withLock { gates -> (Int, Bool) in
            gates.appends += 1
            return (gates.appends, gates.held.contains(gates.appends))
        }
        if held {
            await withCheckedContinuation { continuation in
                let (open, watcher) = gates.withLock { gates -> (Bool, CheckedContinuation<Void, Never>?) in
                    let open = !gates.held.contains(number)
                    if !open { gates.waiting[number] = continuation }
                    return (open, gates.watchers.removeValue(forKey: number))
                }
                watcher?.resume()
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

    /// The answer function for the command `name`.
    func to(_ name: String) -> @Sendable (HTTPResponse) -> Void {
        { response in self.record(name, response) }
    }
}

/// What each probe command saw when it was decided: the last seq folded into the state.
private final class Sightings: Sendable {
    private let seen = Mutex<[String: UInt64]>([:])
    private let answered = Mutex<(count: Int, target: Int, waiter: CheckedContinuation<Void, Never>?)>((0, 0, nil))
    let answers = Answers()

    /// A command on `keys` that notes the state's last seq when decided, then records a
    /// `data.read` named `name` (or, with `records: false`, answers 200 at once).
    func probe(_ name: String, keys: [String], exclusive: Bool = false, records: Bool = true, _ extra: JSONObject = [:]) -> Command {
        var body: JSONObject = ["name": .string(name)]
        for (key, value) in extra { body[key] = value }
        let event = LedgerEvent(type: "data.read", actor: "test", body: .object(body))
        return Command(conflictKeys: keys, exclusive: exclusive) { state, _ in
            let last = state.lastSeq
            self.seen.withLock { $0[name] = last }
            return records ? .record(event, answer: HTTPResponse(status: 201)) : .answer(HTTPResponse(status: 200))
        }
    }

    func submit(_ committer: Committer, _ name: String, _ command: Command) {
        committer.submit(command, requestID: name) { response in
            self.answers.record(name, response)
            let waiter = self.answered.withLock { state -> CheckedContinuation<Void, Never>? in
                state.count += 1
                guard state.count == state.target, let waiter = state.waiter else { return nil }
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }

    /// Returns once `count` answers have come.
    func answered(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now = answered.withLock { state -> Bool in
                if state.count >= count { return true }
                state.target = count
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    var lastSeqSeen: [String: UInt64] { seen.withLock { $0 } }
}

@Suite struct CommitterTests {
    private func makeCommitter(_ ledger: any Ledger, maxBatch: Int = 64, metrics: ServiceMetrics = ServiceMetrics()) -> (Committer, DurableState) {
        let state = DurableState()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let committer = Committer(ledger: ledger, state: state, clock: Date.init, maxBatch: maxBatch, logger: logger, metrics: metrics)
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

    /// The names of the records in the ledger, in ledger order.
    private func recordNames(_ ledger: any Ledger) throws -> [String] {
        try ledger.records(from: 1, limit: 100).compactMap { $0.body["name"]?.stringValue }
    }

    /// A command sharing a conflict key with an earlier one is decided only once the earlier one's
    /// record is folded, and commands on one key keep their arrival order in the ledger.
    @Test func aCommandOnABusyKeyIsDecidedAfterTheEarlierFoldInArrivalOrder() async throws {
        let ledger = ScriptedLedger(held: [1, 2])
        let (committer, _) = makeCommitter(ledger)
        let probes = Sightings()
        probes.submit(committer, "first", probes.probe("first", keys: ["a"]))
        await ledger.appendWaits(1)
        // Queued behind "first": "b1" and "e" form the next batch; "b2" shares b1's key.
        probes.submit(committer, "b1", probes.probe("b1", keys: ["b"]))
        probes.submit(committer, "b2", probes.probe("b2", keys: ["b"]))
        probes.submit(committer, "e", probes.probe("e", keys: ["e"]))
        ledger.release(1)
        // [b1, e] is in the ledger now; b2 must not be decided before it is folded.
        await ledger.appendWaits(2)
        ledger.release(2)
        await probes.answered(4)
        #expect(probes.answers.statuses == ["first": 201, "b1": 201, "b2": 201, "e": 201])
        #expect(try recordNames(ledger) == ["first", "b1", "e", "b2"])
        // b2 was decided only once b1's record (seq 2) was folded.
        #expect((probes.lastSeqSeen["b2"] ?? 0) >= 2)
    }

    /// An exclusive command waits for the batch before it to be folded and then runs alone; what
    /// came after it waits for it in turn.
    @Test func anExclusiveCommandWaitsForTheBatchBeforeItAndRunsAlone() async throws {
        let ledger = ScriptedLedger(held: [1, 2])
        let (committer, _) = makeCommitter(ledger)
        let probes = Sightings()
        probes.submit(committer, "first", probes.probe("first", keys: ["a"]))
        await ledger.appendWaits(1)
        probes.submit(committer, "b", probes.probe("b", keys: ["b"]))
        probes.submit(committer, "exclusive", probes.probe("exclusive", keys: [], exclusive: true))
        probes.submit(committer, "after", probes.probe("after", keys: ["c"]))
        ledger.release(1)
        // [b] is in the ledger now: the exclusive command must not be decided before it is folded.
        await ledger.appendWaits(2)
        ledger.release(2)
        await probes.answered(4)
        #expect(try recordNames(ledger) == ["first", "b", "exclusive", "after"])
        #expect(probes.lastSeqSeen["exclusive"] == 2)
        #expect(probes.lastSeqSeen["after"] == 3)
    }

    /// `rcrp_commit_wait_seconds` times each batch from when its oldest command was queued: a
    /// command queued behind an append held for at least 50 ms waited at least that long.
    @Test func theCommitWaitMetricTimesHowLongABatchWaitedForTheCommitter() async throws {
        let ledger = ScriptedLedger(held: [1])
        let metrics = ServiceMetrics()
        let (committer, _) = makeCommitter(ledger, metrics: metrics)
        let probes = Sightings()
        probes.submit(committer, "first", probes.probe("first", keys: ["a"]))
        await ledger.appendWaits(1)
        probes.submit(committer, "queued", probes.probe("queued", keys: ["b"]))
        try await Task.sleep(for: .milliseconds(50))
        ledger.release(1)
        await probes.answered(2)
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let value = { (name: String) -> Double? in
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        // Two batches: "first" alone, then "queued", which waited behind it.
        #expect(value("rcrp_commit_wait_seconds_count") == 2)
        #expect(try #require(value("rcrp_commit_wait_seconds_sum")) >= 0.05)
    }

    /// A failed append answers 503 to its own batch and to everything queued behind it, answers
    /// that record nothing included; nothing more is written.
    @Test func aFailedAppendAnswers503ToEverythingQueuedBehindIt() async throws {
        let ledger = ScriptedLedger(held: [1, 2])
        // One command per batch, so that "replay" and "later" are batches of their own.
        let (committer, _) = makeCommitter(ledger, maxBatch: 1)
        let probes = Sightings()
        probes.submit(committer, "first", probes.probe("first", keys: ["a"]))
        await ledger.appendWaits(1)
        probes.submit(committer, "failing", probes.probe("failing", keys: ["b"], ["fail": true]))
        probes.submit(committer, "replay", probes.probe("replay", keys: ["c"], records: false))
        probes.submit(committer, "later", probes.probe("later", keys: ["d"]))
        ledger.release(1)
        // "failing" is in the ledger; "replay" and "later" are queued behind it.
        await ledger.appendWaits(2)
        ledger.release(2)
        await probes.answered(4)
        #expect(probes.answers.statuses == ["first": 201, "failing": 503, "replay": 503, "later": 503])
        #expect(try recordNames(ledger) == ["first"])
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
        committer.onApplied { _, _ in
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
