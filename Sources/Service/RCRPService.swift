import Digests
import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Logging
import Synchronization
import Triage

/// The v1 API of API.md over the ledger: authentication, the commit pipeline, long polls,
/// deadlines, metrics. Build one, `start()` it, and serve `makeRouter()` with an HTTPServer.
public final class RCRPService: Sendable {
    let configuration: ServiceConfiguration
    let ledger: any Ledger
    let clock: @Sendable () -> Date
    let logger: Logger
    let keyRing: KeyRing
    let state = DurableState()
    let metrics = ServiceMetrics()
    let polls: PollHub
    let committer: Committer
    let rulesPath: String?
    private let activeRules: Mutex<RuleSet>
    private let deadlineTask = Mutex<Task<Void, Never>?>(nil)
    /// The seq the newest snapshot goes through (0: none), when this process last took one, and
    /// whether one is being written now.
    private let snapshots = Mutex<(seq: UInt64, at: ContinuousClock.Instant?, writing: Bool)>((0, nil, false))
    /// Every snapshot this process wrote (a few a day in production).
    private let snapshotTimings = Mutex<[SnapshotTiming]>([])

    /// Folds the ledger (latest snapshot, then the tail) into the state. Throws when a record
    /// cannot be applied: the ledger and this code disagree, and a person must look.
    public init(configuration: ServiceConfiguration, ledger: any Ledger, ruleSet: RuleSet, rulesPath: String?,
                clock: @escaping @Sendable () -> Date, logger: Logger) throws {
        self.configuration = configuration
        self.ledger = ledger
        self.clock = clock
        self.logger = logger
        self.keyRing = KeyRing(keys: configuration.keys)
        self.rulesPath = rulesPath
        self.activeRules = Mutex(ruleSet)
        self.polls = PollHub(capacity: configuration.longPoll.maxWaiting)
        let state = self.state
        let metrics = self.metrics
        self.committer = Committer(ledger: ledger, state: state, clock: clock, maxBatch: configuration.maxBatch,
                                   logger: logger, metrics: metrics)
        var folded = ServiceState()
        var next: UInt64 = 1
        if let snapshot = try ledger.latestSnapshot(), let restored = StateSnapshot.decode(snapshot.state),
           restored.lastSeq == snapshot.throughSeq {
            folded = restored
            next = snapshot.throughSeq + 1
        }
        // The schedule counts from the snapshot on disk, not from the head: a start after a long
        // tail takes the next snapshot at once rather than letting the tail grow further.
        let snapshotSeq = next - 1
        while true {
            let page = try ledger.records(from: next, limit: 1024)
            for record in page {
                try folded.apply(seq: record.seq, at: record.at, type: record.type, actor: record.actor, body: record.body)
            }
            guard let last = page.last else { break }
            next = last.seq + 1
        }
        state.replace(with: folded)
        snapshots.withLock { $0.seq = snapshotSeq }
        committer.onApplied { [weak self] records, effects in self?.recordsApplied(records, effects) }
    }

    public var observer: any HTTPServerObserver { ServiceObserver(metrics: metrics) }

    public var ruleSet: RuleSet { activeRules.withLock { $0 } }

    /// Registers the configured agencies that the ledger does not know yet, then starts the
    /// deadline timer.
    public func start() async throws {
        let missing = state.read { state in configuration.seedAgencies.filter { state.agencies[$0.id] == nil } }
        for agency in missing {
            let command = Command(conflictKeys: ["agency:\(agency.id)"]) { state, _ in
                if state.agencies[agency.id] != nil { return .answer(HTTPResponse(status: 200)) }
                return .record(LedgerEvent(type: "agency.registered", actor: "system:seed", body: ["agency": agency.json]),
                               answer: HTTPResponse(status: 201))
            }
            let answer = await committer.submit(command, requestID: "seed")
            guard answer.status < 300 else {
                throw LedgerError.failed(reason: committer.failure ?? "seeding agency \(agency.id) failed")
            }
        }
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                await self.checkDeadlines()
                let now = self.clock()
                let next = self.state.read { $0.nextDeadline }
                let wait = min(1.0, max(0.01, (next?.timeIntervalSince(now) ?? 1.0)))
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            }
        }
        deadlineTask.withLock { $0 = task }
    }

    /// Stops the deadline timer and wakes every waiting poll.
    public func stop() {
        deadlineTask.withLock { $0?.cancel(); $0 = nil }
        polls.wakeAll()
    }

    /// Escalates, through the ledger, every open handoff whose deadline has passed by the clock.
    /// The timer calls it; tests call it after moving their clock.
    public func checkDeadlines() async {
        let now = clock()
        // With each handoff's call: an escalation must not share a batch with a retriage or
        // override of the call, which may cancel the handoff (the later record would not apply).
        let overdue = state.read { state in state.overdueHandoffs(at: now).map { ($0.id, state.handoffs[$0.id]?.callID ?? "") } }
        await withTaskGroup(of: Void.self) { group in
            for (id, callID) in overdue {
                let command = Command(conflictKeys: ["handoff:\(id)", "call:\(callID)"]) { state, now in
                    guard let handoff = state.handoffs[id], let cause = handoff.overdue(at: now) else {
                        return .answer(HTTPResponse(status: 200))
                    }
                    return .record(LedgerEvent(type: "handoff.escalated", actor: "system:deadline",
                                               body: ["handoff_id": .string(id), "cause": .string(cause.rawValue)]),
                                   answer: HTTPResponse(status: 200))
                }
                group.addTask { _ = await self.committer.submit(command, requestID: "deadline") }
            }
        }
    }

    /// Loads the rule set again from `rulesPath` and swaps it in atomically, or keeps the old one
    /// and returns every problem (POST /v1/rules/reload, SIGHUP).
    public func reloadRules() -> Result<RuleSet, RuleSetLoadError> {
        guard let rulesPath else { return .success(ruleSet) }
        do {
            let loaded = try RuleSetLoader.load(path: rulesPath)
            activeRules.withLock { $0 = loaded }
            logger.notice("rule set reloaded", metadata: ["revision": "\(loaded.revision)"])
            return .success(loaded)
        } catch {
            logger.error("rule set reload refused; the old set stays", metadata: ["problems": "\(error.problems.count)"])
            return .failure(error)
        }
    }

    /// Why the service is not ready, or nil when it is.
    var notReadyReason: String? {
        if let failure = committer.failure { return "ledger not writable: \(failure)" }
        return nil
    }

    func requireReady(_ request: HTTPRequest) throws(APIError) {
        if let failure = committer.failure { throw APIError.unavailable("The ledger cannot record: \(failure)") }
    }

    // MARK: - After each durable batch

    private func recordsApplied(_ records: [LedgerRecord], _ effects: FoldEffects) {
        var escalated: [String] = []
        var decided: [String] = []
        for record in records {
            if record.type == "handoff.escalated", let cause = record.body["cause"]?.stringValue { escalated.append(cause) }
            // Counted from the durable records, so an idempotent replay is not a new decision.
            if record.type == "call.triaged" || record.type == "call.overridden",
               let outcome = record.body["decision"]?["outcome"]?.stringValue {
                decided.append(outcome)
            }
        }
        // The fold said which feeds changed: wake their polls.
        var topics = effects.agencyIDs.map(PollTopic.agency)
        if effects.escalations { topics.append(.escalations) }
        polls.notify(topics)
        for cause in escalated { metrics.escalated(cause: cause) }
        for outcome in decided { metrics.decided(outcome: outcome) }
        for record in records where record.type != "data.read" {
            let level: Logger.Level = record.type.hasPrefix("call.") || record.type == "handoff.acknowledged"
                || record.type == "handoff.accepted" || record.type == "handoff.completed" ? .debug : .notice
            logger.log(level: level, "recorded", metadata: [
                "seq": "\(record.seq)", "type": "\(record.type)", "actor": "\(record.actor)",
                "request_id": "\(record.body["request_id"]?.stringValue ?? "-")",
            ])
        }
        snapshotIfDue(lastSeq: state.read { $0.lastSeq })
    }

    static func handoffIDs(in body: JSONValue) -> [String] {
        var ids: [String] = []
        if let id = body["handoff_id"]?.stringValue { ids.append(id) }
        for item in body["handoffs"]?.arrayValue ?? [] {
            if let id = item["handoff_id"]?.stringValue { ids.append(id) }
        }
        for item in body["cancelled"]?.arrayValue ?? [] {
            if let id = item.stringValue { ids.append(id) }
        }
        return ids
    }

    /// Takes a snapshot when `snapshotSchedule` says one is due, one at a time. Encoding and
    /// writing it (a blocking fsync, and seconds of encoding for a large state) run on their own
    /// queue, off the commit path and off the cooperative pool that the committer and the
    /// request tasks share; the committer only takes copy-on-write copies (a few retains).
    private func snapshotIfDue(lastSeq: UInt64) {
        let schedule = configuration.snapshotSchedule
        let now = ContinuousClock.now
        let previous = snapshots.withLock { last -> UInt64? in
            guard !last.writing, schedule.isDue(lastSnapshotSeq: last.seq, seq: lastSeq,
                                                secondsSinceLast: last.at.map { (now - $0).seconds }) else { return nil }
            defer { last = (lastSeq, now, true) }
            return last.seq
        }
        guard let previous else { return }
        let source = state.snapshotSource()
        let ledger = self.ledger
        let logger = self.logger
        Self.snapshotQueue.async { [weak self] in
            let started = ContinuousClock.now
            let encoded = StateSnapshot.encode(source)
            let encodedAt = ContinuousClock.now
            var written = true
            do {
                try ledger.writeSnapshot(encoded, throughSeq: source.lastSeq)
            } catch {
                written = false
                logger.error("snapshot not written", metadata: ["error": "\(error)"])
            }
            let taken = SnapshotTiming(throughSeq: source.lastSeq, calls: source.calls.count, bytes: encoded.count,
                                       encodeSeconds: (encodedAt - started).seconds,
                                       writeSeconds: (ContinuousClock.now - encodedAt).seconds)
            logger.info("snapshot written", metadata: [
                "through_seq": "\(taken.throughSeq)", "bytes": "\(taken.bytes)",
                "encode_ms": "\(Int(taken.encodeSeconds * 1000))", "write_ms": "\(Int(taken.writeSeconds * 1000))",
            ])
            // A snapshot not written leaves the tail where it was: the next batch tries again.
            self?.snapshots.withLock { $0.seq = written ? source.lastSeq : previous; $0.writing = false }
            if written { self?.snapshotTimings.withLock { $0.append(taken) } }
        }
    }

    /// Where the commit path's time goes, for benchmarks: how long the committer held the state
    /// lock per batch, and what each snapshot cost.
    public var commitTimings: CommitTimings {
        let holds = state.lockHolds
        return CommitTimings(lockHold: holds.ordinary, lockHoldAfterSnapshot: holds.afterSnapshot,
                             lockHoldGrowing: holds.growing, snapshots: snapshotTimings.withLock { $0 })
    }

    /// How many calls the state holds, and the seq of the last record folded (benchmarks check a restart with them).
    public var callCount: Int { state.read { $0.calls.count } }
    public var lastSeq: UInt64 { state.read { $0.lastSeq } }

    /// Whether a snapshot is being encoded or written now.
    public var snapshotWriting: Bool { snapshots.withLock { $0.writing } }

    private static let snapshotQueue = DispatchQueue(label: "rcrp.snapshot", qos: .utility)
}
