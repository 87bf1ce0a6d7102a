import Dispatch
import Foundation
import Handoffs
import HTTPServer
import Ledger
import Logging
import Synchronization

/// The service's group commit: one committer takes queued commands in arrival order, decides
/// each against the durable state, appends the batch with one ledger call (one fsync), applies
/// the records, answers every waiter, then wakes long polls. While a batch is being fsynced the
/// next one gathers.
final class Committer: Sendable {
    private struct Waiting {
        var command: Command
        var requestID: String
        var reply: Reply
        /// When it was queued: its batch's start minus this is its wait for the committer.
        var queuedAt = ContinuousClock.now
    }

    /// Where a command's answer goes: a suspended task, or a function called with it (a deferred
    /// route's responder, which hands it straight to the connection's event loop: no task to
    /// create or resume per request).
    private enum Reply {
        case task(CheckedContinuation<HTTPResponse, Never>)
        case call(@Sendable (HTTPResponse) -> Void)

        func send(_ response: HTTPResponse) {
            switch self {
            case .task(let continuation): continuation.resume(returning: response)
            case .call(let deliver): deliver(response)
            }
        }
    }

    private struct Queue {
        var waiting: [Waiting] = []
        var running = false
    }

    private let queue = Mutex(Queue())
    private let failureReason = Mutex<String?>(nil)
    private let ledger: any Ledger
    private let state: DurableState
    private let clock: @Sendable () -> Date
    private let maxBatch: Int
    private let logger: Logger
    private let metrics: ServiceMetrics
    /// Called with each batch's records, and the feeds they changed, once they are applied and the
    /// batch is answered (wakes long polls, counts, logs, snapshots): a commit's answers never
    /// wait for the poll fan-out.
    private let applied = Mutex<AppliedHandler?>(nil)

    /// The closure inside a struct: a bare function type stored in a Mutex is reabstracted on
    /// every `withLock` (inout) access, so each batch wrapped it in two more thunks and the
    /// call chain grew without bound (deeper stacks and more CPU with every batch).
    private struct AppliedHandler: Sendable {
        let body: @Sendable ([LedgerRecord], FoldEffects) -> Void
    }

    init(ledger: any Ledger, state: DurableState, clock: @escaping @Sendable () -> Date, maxBatch: Int,
         logger: Logger, metrics: ServiceMetrics) {
        self.ledger = ledger
        self.state = state
        self.clock = clock
        self.maxBatch = max(1, maxBatch)
        self.logger = logger
        self.metrics = metrics
    }

    /// Sets what runs after each batch is applied (the service, once it is fully built).
    func onApplied(_ body: @escaping @Sendable ([LedgerRecord], FoldEffects) -> Void) {
        applied.withLock { $0 = AppliedHandler(body: body) }
    }

    /// Why writes are refused for good (a ledger or fold failure), or nil while healthy.
    var failure: String? {
        failureReason.withLock { $0 } ?? ledger.failure
    }

    func submit(_ command: Command, requestID: String) async -> HTTPResponse {
        if let failure { return APIError.unavailable("The ledger cannot record: \(failure)").response(requestID: requestID) }
        return await withCheckedContinuation { continuation in
            enqueue(Waiting(command: command, requestID: requestID, reply: .task(continuation)))
        }
    }

    /// Queues a command and returns at once; `answer` is called with its answer once decided
    /// (and durable if it records), from the committer's thread.
    func submit(_ command: Command, requestID: String, answer: @escaping @Sendable (HTTPResponse) -> Void) {
        if let failure {
            answer(APIError.unavailable("The ledger cannot record: \(failure)").response(requestID: requestID))
            return
        }
        enqueue(Waiting(command: command, requestID: requestID, reply: .call(answer)))
    }

    private func enqueue(_ item: Waiting) {
        let start = queue.withLock { queue -> Bool in
            queue.waiting.append(item)
            if queue.running { return false }
            queue.running = true
            return true
        }
        if start { runQueue.async { self.run() } }
    }

    /// The committer runs on a queue of its own, not as a task: it blocks in the ledger's
    /// `appendWaiting`, which writes and syncs on this thread when the ledger is idle, so a
    /// commit cycle (decide, write, fdatasync, fold, answer) hands off to no other thread.
    private let runQueue = DispatchQueue(label: "rcrp.committer")

    private func run() {
        while let batch = nextBatch() {
            // The first command of a batch is its oldest (arrival order): how long it waited
            // for the one committer is how saturated the write path is.
            metrics.commitWaited(seconds: (ContinuousClock.now - batch[0].queuedAt).seconds)
            commit(batch)
        }
    }

    /// Takes the next batch in arrival order; commands that share a conflict key with an earlier
    /// one, and everything from an exclusive command on, wait for the next batch.
    private func nextBatch() -> [Waiting]? {
        queue.withLock { queue -> [Waiting]? in
            guard !queue.waiting.isEmpty else {
                queue.running = false
                return nil
            }
            // Sized up front: a full queue is a batch of hundreds, and growing these one
            // rehash or copy at a time showed in the committer's profile.
            let expected = min(queue.waiting.count, maxBatch)
            var batch: [Waiting] = []
            batch.reserveCapacity(expected)
            var deferred: [Waiting] = []
            var used = Set<Int>(minimumCapacity: 2 * expected)
            var closed = false
            for item in queue.waiting {
                if closed || batch.count >= maxBatch {
                    deferred.append(item)
                    continue
                }
                if item.command.exclusive {
                    if batch.isEmpty { batch.append(item) } else { deferred.append(item) }
                    closed = true
                    continue
                }
                if item.command.conflicts.contains(where: used.contains) {
                    deferred.append(item)
                    // A later command on the same entity must not overtake this one.
                    used.formUnion(item.command.conflicts)
                    continue
                }
                used.formUnion(item.command.conflicts)
                batch.append(item)
            }
            // Keeps the queue's storage: the next batch's commands arrive into it at once.
            queue.waiting.removeAll(keepingCapacity: true)
            queue.waiting.append(contentsOf: deferred)
            return batch
        }
    }

    /// What became of a decided record.
    private enum Fate {
        /// On disk (and folded, unless the fold refused it): its answer may be sent.
        case durable
        /// The ledger refused it as too large; nothing of it was written.
        case tooLarge
        /// Not known to be on disk (the append failed, or was never tried after a failure).
        case unknown
    }

    private func commit(_ batch: [Waiting]) {
        if let failure {
            let refusal = APIError.unavailable("The ledger cannot record: \(failure)")
            for item in batch { item.reply.send(refusal.response(requestID: item.requestID)) }
            return
        }
        let now = clock()
        var events: [LedgerEvent] = []
        // Each event's call already serialised, when its command has it (the fold keeps those bytes).
        var callBytes: [[UInt8]?] = []
        // Each waiter's answer, and the index of its event in `events` when it records one.
        var answers: [(item: Waiting, answer: HTTPResponse, event: Int?)] = []
        answers.reserveCapacity(batch.count)
        // Only this task changes the state, so taking the lock per command (not per batch) gives
        // every command the same durable state while never holding up readers for long.
        for item in batch {
            switch state.read({ item.command.decide($0, now) }) {
            case .record(let event, let answer, let bytes):
                answers.append((item, answer, events.count))
                events.append(event)
                callBytes.append(bytes)
            case .answer(let answer):
                answers.append((item, answer, nil))
            }
        }
        var fates = [Fate](repeating: .unknown, count: events.count)
        var records: [LedgerRecord] = []
        var effects = FoldEffects()
        var failed: String?
        if !events.isEmpty {
            do {
                records = try append(events, callBytes: callBytes, effects: &effects)
                for index in fates.indices { fates[index] = .durable }
            } catch .recordTooLarge {
                // Nothing was written: append one by one, so that one oversized record is refused
                // alone and the others still go through. Each one appended is durable and gets its
                // answer even if a later one fails.
                for (index, event) in events.enumerated() {
                    do {
                        records += try append([event], callBytes: [callBytes[index]], effects: &effects)
                        fates[index] = .durable
                    } catch .recordTooLarge {
                        fates[index] = .tooLarge
                    } catch {
                        failed = error.description
                        break
                    }
                    // A refused fold leaves memory behind the disk: decide nothing more on it.
                    if foldFailure.withLock({ $0 }) != nil { break }
                }
            } catch {
                failed = error.description
            }
            if let failure = failed ?? foldFailure.withLock({ $0 }) {
                failed = failure
                failureReason.withLock { if $0 == nil { $0 = failure } }
                logger.critical("ledger append or fold failed; refusing writes until restart", metadata: ["error": "\(failure)"])
            }
        }
        // Answers first; the long polls and the rest of the after-commit work do not delay them.
        for (item, answer, event) in answers {
            guard let event else {
                item.reply.send(answer)
                continue
            }
            switch fates[event] {
            case .durable:
                item.reply.send(answer)
            case .tooLarge:
                item.reply.send(APIError(413, "Content Too Large", detail: "The record this request makes is larger than the ledger takes.")
                    .response(requestID: item.requestID))
            case .unknown:
                item.reply.send(APIError.unavailable("The ledger cannot record: \(failed ?? "the append did not complete")")
                    .response(requestID: item.requestID))
            }
        }
        if !records.isEmpty { applied.withLock { $0 }?.body(records, effects) }
    }

    private let foldFailure = Mutex<String?>(nil)

    /// One ledger append (one fsync), then the records applied to the state (what they changed
    /// is added to `effects`).
    private func append(_ events: [LedgerEvent], callBytes: [[UInt8]?], effects: inout FoldEffects) throws(LedgerError) -> [LedgerRecord] {
        let started = ContinuousClock.now
        let records = try ledger.appendWaiting(events).get()
        metrics.ledgerAppended(seconds: (ContinuousClock.now - started).seconds, records: records.count)
        do {
            try state.apply(records, callBytes: callBytes, effects: &effects)
        } catch {
            // The fold refused what the ledger now holds: memory no longer matches disk.
            foldFailure.withLock { if $0 == nil { $0 = "the state could not apply record \(error.seq): \(error.reason)" } }
        }
        return records
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
