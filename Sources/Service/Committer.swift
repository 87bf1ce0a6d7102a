import Foundation
import Handoffs
import HTTPServer
import Ledger
import Logging
import Synchronization

/// The service's group commit: one committer takes queued commands in arrival order, decides
/// each against the durable state, appends the batch with one ledger call (one fsync), applies
/// the records, then answers every waiter. While a batch is being fsynced the next one gathers.
final class Committer: Sendable {
    private struct Waiting {
        var command: Command
        var requestID: String
        var continuation: CheckedContinuation<HTTPResponse, Never>
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
    /// Called with each batch's records after they are applied (wakes long polls, snapshots).
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
            let start = queue.withLock { queue -> Bool in
                queue.waiting.append(Waiting(command: command, requestID: requestID, continuation: continuation))
                if queue.running { return false }
                queue.running = true
                return true
            }
            if start { Task { await self.run() } }
        }
    }

    private func run() async {
        while let batch = nextBatch() {
            await commit(batch)
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
            var batch: [Waiting] = []
            var deferred: [Waiting] = []
            var used = Set<String>()
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
                if item.command.conflictKeys.contains(where: used.contains) {
                    deferred.append(item)
                    // A later command on the same entity must not overtake this one.
                    used.formUnion(item.command.conflictKeys)
                    continue
                }
                used.formUnion(item.command.conflictKeys)
                batch.append(item)
            }
            queue.waiting = deferred
            return batch
        }
    }

    private func commit(_ batch: [Waiting]) async {
        if let failure {
            let refusal = APIError.unavailable("The ledger cannot record: \(failure)")
            for item in batch { item.continuation.resume(returning: refusal.response(requestID: item.requestID)) }
            return
        }
        let now = clock()
        var events: [LedgerEvent] = []
        var answers: [(Waiting, HTTPResponse, recorded: Bool)] = []
        // Only this task changes the state, so taking the lock per command (not per batch) gives
        // every command the same durable state while never holding up readers for long.
        for item in batch {
            switch state.read({ item.command.decide($0, now) }) {
            case .record(let event, let answer):
                events.append(event)
                answers.append((item, answer, true))
            case .answer(let answer):
                answers.append((item, answer, false))
            }
        }
        var failed: String?
        var tooLarge = Set<Int>()   // indexes into `events` the ledger refused as too large
        if !events.isEmpty {
            do {
                try await append(events)
            } catch .recordTooLarge {
                // Nothing was written: append one by one, so that one oversized record is refused
                // alone and the others still go through.
                for (index, event) in events.enumerated() {
                    do {
                        try await append([event])
                    } catch .recordTooLarge {
                        tooLarge.insert(index)
                    } catch {
                        failed = error.description
                        break
                    }
                }
            } catch {
                failed = error.description
            }
            if let failure = failed ?? foldFailure.withLock({ $0 }) {
                failed = failure
                logger.critical("ledger append or fold failed; refusing writes until restart", metadata: ["error": "\(failure)"])
            }
        }
        if let failed {
            failureReason.withLock { if $0 == nil { $0 = failed } }
        }
        var eventIndex = 0
        for (item, answer, recorded) in answers {
            guard recorded else {
                item.continuation.resume(returning: answer)
                continue
            }
            defer { eventIndex += 1 }
            if let failed {
                item.continuation.resume(returning: APIError.unavailable("The ledger cannot record: \(failed)")
                    .response(requestID: item.requestID))
            } else if tooLarge.contains(eventIndex) {
                item.continuation.resume(returning: APIError(413, "Content Too Large",
                                                             detail: "The record this request makes is larger than the ledger takes.")
                    .response(requestID: item.requestID))
            } else {
                item.continuation.resume(returning: answer)
            }
        }
    }

    private let foldFailure = Mutex<String?>(nil)

    /// One ledger append (one fsync), then the records applied to the state and announced.
    private func append(_ events: [LedgerEvent]) async throws(LedgerError) {
        let started = ContinuousClock.now
        let records = try await ledger.append(events)
        metrics.ledgerAppended(seconds: (ContinuousClock.now - started).seconds, records: records.count)
        do {
            try state.apply(records)
        } catch {
            // The fold refused what the ledger now holds: memory no longer matches disk.
            foldFailure.withLock { if $0 == nil { $0 = "the state could not apply record \(error.seq): \(error.reason)" } }
        }
        applied.withLock { $0 }?.body(records)
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
