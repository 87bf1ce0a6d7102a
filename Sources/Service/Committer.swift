import Foundation
import Handoffs
import HTTPServer
import Ledger
import Logging
import Synchronization

/// The service's group commit: one committer takes queued commands in arrival order, decides
/// each against the durable state, appends the batch with one ledger call (one fsync), applies
/// the records, answers every waiter, then wakes long polls. While a batch is being fsynced and
/// folded, the next one (sharing no conflict key with it) is gathered and decided.
final class Committer: Sendable {
    private struct Waiting {
        var command: Command
        var requestID: String
        var reply: Reply
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
        /// The committer, waiting for a command to arrive or for the batch in flight to return.
        var wake: CheckedContinuation<Bool, Never>?
        /// A command arrived, or the batch in flight returned, while the committer was busy.
        var arrived = false
        var returned = false
    }

    private let queue = Mutex(Queue())
    private let failureReason = Mutex<String?>(nil)
    private let ledger: any Ledger
    private let state: DurableState
    private let clock: @Sendable () -> Date
    private let maxBatch: Int
    private let logger: Logger
    private let metrics: ServiceMetrics
    /// Called with each batch's records once they are applied and the batch is answered (wakes
    /// long polls, counts, logs, snapshots): a commit's answers never wait for the poll fan-out.
    private let applied = Mutex<AppliedHandler?>(nil)

    /// The closure inside a struct: a bare function type stored in a Mutex is reabstracted on
    /// every `withLock` (inout) access, so each batch wrapped it in two more thunks and the
    /// call chain grew without bound (deeper stacks and more CPU with every batch).
    private struct AppliedHandler: Sendable {
        let body: @Sendable ([LedgerRecord]) -> Void
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
    func onApplied(_ body: @escaping @Sendable ([LedgerRecord]) -> Void) {
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
    /// (and durable if it records), from the committer's task.
    func submit(_ command: Command, requestID: String, answer: @escaping @Sendable (HTTPResponse) -> Void) {
        if let failure {
            answer(APIError.unavailable("The ledger cannot record: \(failure)").response(requestID: requestID))
            return
        }
        enqueue(Waiting(command: command, requestID: requestID, reply: .call(answer)))
    }

    private func enqueue(_ item: Waiting) {
        let (start, wake) = queue.withLock { queue -> (Bool, CheckedContinuation<Bool, Never>?) in
            queue.waiting.append(item)
            guard queue.running else {
                queue.running = true
                return (true, nil)
            }
            guard let wake = queue.wake else {
                queue.arrived = true
                return (false, nil)
            }
            queue.wake = nil
            return (false, wake)
        }
        wake?.resume(returning: false)
        if start { Task { await self.run() } }
    }

    /// A batch decided against the durable state: its answers, and the records to append.
    private struct Decided: Sendable {
        /// Each waiter's answer, and the index of its event in `events` when it records one.
        var answers: [(item: Waiting, answer: HTTPResponse, event: Int?)] = []
        var events: [LedgerEvent] = []
        /// The batch's conflict keys: while it is in flight, commands sharing one wait.
        var keys = Set<String>()
        var exclusive = false
    }

    /// What became of a decided record.
    private enum Fate: Sendable {
        /// On disk (and folded, unless the fold refused it): its answer may be sent.
        case durable
        /// The ledger refused it as too large; nothing of it was written.
        case tooLarge
        /// Not known to be on disk (the append failed, or was never tried after a failure).
        case unknown
    }

    /// A batch's append and fold, as its answers need them.
    private struct Appended: Sendable {
        var records: [LedgerRecord] = []
        var fates: [Fate] = []
        /// Why the committer failed during this batch's append or fold, if it did.
        var failed: String?
    }

    /// Decides (and answers) batch n+1 while batch n is in the ledger and being folded, so that
    /// the fsync overlaps the committer's own work. Batch n+1 never shares a conflict key with
    /// batch n (nor follows or is an exclusive command), so deciding it before batch n is folded
    /// decides it as if both were one batch. Its append starts only once batch n's append and
    /// fold have returned without failure, so records reach the ledger and the fold in one
    /// order, and nothing is written after a failed append or fold.
    private func run() async {
        var inFlight: (batch: Decided, append: Task<Appended, Never>)?
        while true {
            guard let flight = inFlight else {
                guard let batch = nextBatch(inFlight: nil, pending: nil) else { return }
                var decided = Decided()
                decide(batch, into: &decided)
                inFlight = start(decided)
                continue
            }
            // Decides what arrives while the batch is in flight, as it arrives.
            var next = Decided()
            while true {
                if let more = nextBatch(inFlight: flight.batch, pending: next) { decide(more, into: &next) }
                if await arrivalOrReturn() { break }
            }
            let appended = await flight.append.value
            inFlight = next.answers.isEmpty ? nil : start(next)
            finish(flight.batch, appended)
        }
    }

    /// True once the batch in flight has returned; false when a command arrived first.
    private func arrivalOrReturn() async -> Bool {
        await withCheckedContinuation { continuation in
            let now = queue.withLock { queue -> Bool? in
                if queue.returned {
                    queue.returned = false
                    return true
                }
                if queue.arrived {
                    queue.arrived = false
                    return false
                }
                queue.wake = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    private func returned() {
        let wake = queue.withLock { queue -> CheckedContinuation<Bool, Never>? in
            guard let wake = queue.wake else {
                queue.returned = true
                return nil
            }
            queue.wake = nil
            return wake
        }
        wake?.resume(returning: true)
    }

    /// Starts a decided batch's append, or refuses the batch whole (503 to every waiter, its
    /// answers without records included) when the committer has failed.
    private func start(_ batch: Decided) -> (batch: Decided, append: Task<Appended, Never>)? {
        if let failure {
            let refusal = APIError.unavailable("The ledger cannot record: \(failure)")
            for (item, _, _) in batch.answers { item.reply.send(refusal.response(requestID: item.requestID)) }
            return nil
        }
        let events = batch.events
        return (batch, Task {
            let appended = await self.appendAndFold(events)
            self.returned()
            return appended
        })
    }

    /// Takes the next batch in arrival order; commands that share a conflict key with an earlier
    /// one or with the batch in flight, and everything from an exclusive command on, wait for a
    /// later batch; an exclusive command starts only when nothing is in flight. Nil when there
    /// is nothing to take; the committer stops only when nothing is in flight either.
    private func nextBatch(inFlight: Decided?, pending: Decided?) -> [Waiting]? {
        queue.withLock { queue -> [Waiting]? in
            guard !queue.waiting.isEmpty else {
                if inFlight == nil { queue.running = false }
                return nil
            }
            // Sized up front: a full queue is a batch of hundreds, and growing these one
            // rehash or copy at a time showed in the committer's profile.
            let expected = min(queue.waiting.count, maxBatch)
            var batch: [Waiting] = []
            batch.reserveCapacity(expected)
            var deferred: [Waiting] = []
            var used = inFlight?.keys ?? Set<String>(minimumCapacity: 2 * expected)
            if let pending { used.formUnion(pending.keys) }
            let room = maxBatch - (pending?.answers.count ?? 0)
            // Nothing joins an exclusive command's batch or starts while one is in flight.
            var closed = inFlight?.exclusive ?? false
            for item in queue.waiting {
                if closed || batch.count >= room {
                    deferred.append(item)
                    continue
                }
                if item.command.exclusive {
                    if batch.isEmpty && inFlight == nil { batch.append(item) } else { deferred.append(item) }
                    closed = true
                    continue
                }
                if item.command.conflictKeys.contains(where: used.contains) {
                    deferred.append(item)
                    // A later command on the same entity must not overtake this one.
                    used.formUnion(item.command.conflictKeys)
                    continue
                }
                used.formUnion(item.command.conflictKeys)
                batch.append(item)
            }
            // Keeps the queue's storage: the next batch's commands arrive into it at once.
            queue.waiting.removeAll(keepingCapacity: true)
            queue.waiting.append(contentsOf: deferred)
            return batch.isEmpty ? nil : batch
        }
    }

    private func decide(_ batch: [Waiting], into decided: inout Decided) {
        if batch.contains(where: { $0.command.exclusive }) { decided.exclusive = true }
        for item in batch { decided.keys.formUnion(item.command.conflictKeys) }
        if let failure {
            let refusal = APIError.unavailable("The ledger cannot record: \(failure)")
            decided.answers += batch.map { ($0, refusal.response(requestID: $0.requestID), nil) }
            return
        }
        let now = clock()
        decided.answers.reserveCapacity(decided.answers.count + batch.count)
        // Only the committer changes the state, so taking the lock per command (not per batch)
        // gives every command a durable state without its own batch while never holding up
        // readers for long; the batch in flight may be folded meanwhile, and shares no key.
        for item in batch {
            switch state.read({ item.command.decide($0, now) }) {
            case .record(let event, let answer):
                decided.answers.append((item, answer, decided.events.count))
                decided.events.append(event)
            case .answer(let answer):
                decided.answers.append((item, answer, nil))
            }
        }
    }

    /// A batch's append and fold, off the committer's task so that they overlap its decisions
    /// and answers.
    private func appendAndFold(_ events: [LedgerEvent]) async -> Appended {
        var appended = Appended(fates: [Fate](repeating: .unknown, count: events.count))
        guard !events.isEmpty else { return appended }
        do throws(LedgerError) {
            appended.records = try await append(events)
            for index in appended.fates.indices { appended.fates[index] = .durable }
        } catch .recordTooLarge {
            // Nothing was written: append one by one, so that one oversized record is refused
            // alone and the others still go through. Each one appended is durable and gets its
            // answer even if a later one fails.
            for (index, event) in events.enumerated() {
                do throws(LedgerError) {
                    appended.records += try await append([event])
                    appended.fates[index] = .durable
                } catch .recordTooLarge {
                    appended.fates[index] = .tooLarge
                } catch {
                    appended.failed = error.description
                    break
                }
                // A refused fold leaves memory behind the disk: decide nothing more on it.
                if foldFailure.withLock({ $0 }) != nil { break }
            }
        } catch {
            appended.failed = error.description
        }
        if let failure = appended.failed ?? foldFailure.withLock({ $0 }) {
            appended.failed = failure
            // Set before this task returns, so the committer refuses the next batch's append.
            let first = failureReason.withLock { reason -> Bool in
                defer { if reason == nil { reason = failure } }
                return reason == nil
            }
            if first {
                logger.critical("ledger append or fold failed; refusing writes until restart", metadata: ["error": "\(failure)"])
            }
        }
        return appended
    }

    /// Answers a batch's waiters, then runs the after-commit work (long polls, counts, logs,
    /// snapshots), which never delays an answer.
    private func finish(_ batch: Decided, _ appended: Appended) {
        // A durable record gets its answer even when the committer has failed since.
        for (item, answer, event) in batch.answers {
            guard let event else {
                item.reply.send(answer)
                continue
            }
            switch appended.fates[event] {
            case .durable:
                item.reply.send(answer)
            case .tooLarge:
                item.reply.send(APIError(413, "Content Too Large", detail: "The record this request makes is larger than the ledger takes.")
                    .response(requestID: item.requestID))
            case .unknown:
                item.reply.send(APIError.unavailable("The ledger cannot record: \(appended.failed ?? "the append did not complete")")
                    .response(requestID: item.requestID))
            }
        }
        if !appended.records.isEmpty { applied.withLock { $0 }?.body(appended.records) }
    }

    private let foldFailure = Mutex<String?>(nil)

    /// One ledger append (one fsync), then the records applied to the state.
    private func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        let started = ContinuousClock.now
        let records = try await ledger.append(events)
        metrics.ledgerAppended(seconds: (ContinuousClock.now - started).seconds, records: records.count)
        do {
            try state.apply(records)
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
