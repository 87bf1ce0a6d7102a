import Foundation
import JSON

/// Everything the service knows, derived only by folding ledger records in order: agencies,
/// issued keys, calls and their decisions, handoffs, the change feeds the long polls read, and
/// the idempotent answers. Time comes from the records, never from a clock.
public struct ServiceState: Sendable {
    public internal(set) var agencies = AgencyDirectory()
    public internal(set) var issuedKeys: [String: IssuedKey] = [:]
    public internal(set) var keyIDsByHash: [String: String] = [:]
    public internal(set) var calls = ChunkedTable<CallEntry>(shardCount: ServiceState.snapshotShards)
    public internal(set) var callOrder = SegmentedArray<String>()
    public internal(set) var handoffs = ChunkedTable<Handoff>(shardCount: ServiceState.snapshotShards)
    /// Open handoffs by next deadline (entries of handoffs that moved on since are dropped when
    /// they reach the front); its first entry is always current.
    public internal(set) var deadlines = DeadlineQueue()
    /// How many handoffs are in each state (for /metrics, without a scan).
    public internal(set) var handoffCounts: [HandoffStatus: Int] = [:]
    public internal(set) var agencyFeeds: [String: AgencyFeed] = [:]
    /// Handoffs that came to need the control room: declined, escalated, unroutable.
    public internal(set) var escalations = ChangeFeed()
    public internal(set) var idempotency = ShardedDictionary<String, IdempotencyEntry>(shardCount: ServiceState.snapshotShards)
    /// The same answers by when they were stored, to expire them one record at a time.
    var idempotencyExpiry = IdempotencyExpiry()
    /// When each subject reference was in a call, oldest first (repeat contact).
    public internal(set) var subjectContacts = ShardedDictionary<SubjectKey, [Date]>()
    public internal(set) var lastSeq: UInt64 = 0
    public internal(set) var dataReads: UInt64 = 0
    /// What the record being applied changed so far (`apply` returns it; not part of the state's
    /// meaning, and empty between records).
    private var effects = FoldEffects()

    /// The collections a snapshot shares are split finer: the batch after a snapshot copies each
    /// shard it touches, and a batch touches a few dozen (4,096 measured: see docs/SERVICE.md).
    static let snapshotShards = 4096

    public init() {}

    /// Applies one ledger record; records must come in sequence order. `callBytes`: the record's
    /// `call` member as `serialized()` writes it, when the writer has it (kept as the call's
    /// bytes instead of serialising the tree again; see `CallEntry`). Returns the feeds it changed.
    @discardableResult
    public mutating func apply(seq: UInt64, at: Date, type: String, actor: String, body: JSONValue,
                               callBytes: [UInt8]? = nil) throws(StateFoldError) -> FoldEffects {
        func fail(_ reason: String) -> StateFoldError { StateFoldError(seq: seq, type: type, reason: reason) }
        guard seq > lastSeq else { throw fail("out of order after \(lastSeq)") }
        defer { effects = FoldEffects() }
        var moveAnswer: JSONValue?
        switch type {
        case "agency.registered", "agency.updated":
            guard let json = body["agency"], case .success(let agency) = Agency.decode(json) else {
                throw fail("agency is missing or invalid")
            }
            agencies.upsert(agency)
            // An update that narrows the agency (kind, areas) re-routes, in the same record, the
            // open handoffs it no longer takes.
            if type == "agency.updated" {
                try cancel(body, reason: "agency_updated", seq: seq, at: at, fail: fail)
                try create(body, seq: seq, at: at, fail: fail)
            }
        case "agency.deactivated":
            guard let id = body["agency_id"]?.stringValue, agencies[id] != nil else { throw fail("unknown agency") }
            agencies.deactivate(id)
            try cancel(body, reason: "agency_deactivated", seq: seq, at: at, fail: fail)
            try create(body, seq: seq, at: at, fail: fail)
        case "call.triaged":
            let refusal = "call_id, call or decision missing, or the call exists"
            guard let id = body["call_id"]?.stringValue,
                  let call = body["call"], call.objectValue != nil, let decision = body["decision"], decision.objectValue != nil else {
                throw fail(refusal)
            }
            // The new call's own handoffs go into its entry before it is stored (one dictionary
            // write per call, not one more per handoff); a birth naming another call is applied
            // as `create` applies any birth.
            let birthRefusal = "a new handoff is invalid, exists already or names an unknown call"
            var births: [HandoffBirth] = []
            var entry = CallEntry(id: id, createdAt: at, createdSeq: seq, call: call, callBytes: callBytes, decision: decision)
            for item in body["handoffs"]?.arrayValue ?? [] {
                guard let birth = HandoffBirth(json: item), !births.contains(where: { $0.handoffID == birth.handoffID }),
                      birth.callID == id || calls[birth.callID] != nil else {
                    throw fail(birthRefusal)
                }
                if birth.callID == id { entry.handoffIDs.append(birth.handoffID) }
                births.append(birth)
            }
            // One look-up inserts the call and tells whether it existed (then it is put back).
            if let existing = calls.updateValue(entry, forKey: id) {
                calls[id] = existing
                throw fail(refusal)
            }
            // Likewise each new handoff: stored with the look-up that tells whether its id was
            // taken, and then everything this record stored is taken back.
            let born = births.map { $0.handoff(createdAt: at, seq: seq) }
            for (index, handoff) in born.enumerated() {
                let key = IDKey(handoff.id)
                guard let existing = handoffs.updateValue(handoff, forKey: key) else { continue }
                handoffs.updateValue(existing, forKey: key)
                for earlier in born[..<index] { handoffs.removeValue(forKey: IDKey(earlier.id)) }
                calls.removeValue(forKey: id)
                throw fail(birthRefusal)
            }
            callOrder.append(id)
            indexContact(of: entry)
            for (birth, handoff) in zip(births, born) {
                noteStored(handoff, replacing: nil)
                if birth.callID != id { calls[birth.callID]?.handoffIDs.append(birth.handoffID) }
            }
        case "call.retriaged", "call.overridden":
            guard let id = body["call_id"]?.stringValue, calls[id] != nil,
                  let decision = body["decision"], decision.objectValue != nil else {
                throw fail("unknown call or decision missing")
            }
            if let call = body["call"], call.objectValue != nil, var entry = calls[id] {
                // Corrected facts may name another subject or arrival time: the repeat-contact
                // index follows them, as a start from a snapshot (which indexes calls as they
                // now are) would have it.
                unindexContact(of: entry)
                entry.call = call
                indexContact(of: entry)
                calls[id] = entry
            }
            calls[id]?.decisions.append(decision)
            try cancel(body, reason: type == "call.retriaged" ? "retriage" : "override", seq: seq, at: at, fail: fail)
            try create(body, seq: seq, at: at, fail: fail)
        case "call.caller_informed":
            guard let id = body["call_id"]?.stringValue, calls[id] != nil, body["by"]?.stringValue != nil else {
                throw fail("unknown call or 'by' missing")
            }
            calls[id]?.callerInformed.append([
                "by": body["by"] ?? .null, "at": body["at"] ?? .string(RFC3339.format(at)),
                "recorded_at": .string(RFC3339.format(at)),
            ])
        case "handoff.acknowledged", "handoff.accepted", "handoff.declined", "handoff.completed",
             "handoff.escalated", "handoff.cancelled":
            guard let id = body["handoff_id"]?.stringValue, handoffs[id] != nil else { throw fail("unknown handoff") }
            guard let move = ServiceState.move(type: type, body: body) else { throw fail("the move's fields are invalid") }
            try moveHandoff(id, move, seq: seq, at: at, fail: fail)
            // A partner move answers with the handoff as this record left it; a replay of the
            // same request must show exactly that, so the fold, which alone knows the record's
            // time and seq, writes the stored answer.
            if body["idempotency"] != nil, let handoff = handoffs[id] { moveAnswer = handoff.json(call: calls[handoff.callID]) }
        case "key.issued":
            guard let id = body["key_id"]?.stringValue, let agencyID = body["agency_id"]?.stringValue,
                  let hash = body["sha256"]?.stringValue, issuedKeys[id] == nil else { throw fail("key fields missing or key exists") }
            issuedKeys[id] = IssuedKey(id: id, agencyID: agencyID, sha256: hash)
            keyIDsByHash[hash] = id
        case "key.revoked":
            guard let id = body["key_id"]?.stringValue, let key = issuedKeys[id] else { throw fail("unknown key") }
            issuedKeys[id]?.revoked = true
            keyIDsByHash[key.sha256] = nil
        case "data.read":
            dataReads += 1
        default:
            throw fail("unknown record type")
        }
        if let json = body["idempotency"], var entry = IdempotencyEntry(json: json, actor: actor, at: at) {
            if let moveAnswer { entry.response = moveAnswer }
            idempotency[entry.storageKey] = entry
            idempotencyExpiry.append(entry.storageKey, at: at)
        }
        // Answers past their retention are dropped by record time, so that every fold of the
        // same records keeps the same ones; a key stored again since keeps its newer answer.
        idempotencyExpiry.removeExpired(through: at.addingTimeInterval(-IdempotencyEntry.retention)) { key, storedAt in
            if idempotency[key]?.at == storedAt { idempotency.removeValue(forKey: key) }
        }
        lastSeq = seq
        return effects
    }

    /// The move a `handoff.*` record describes.
    public static func move(type: String, body: JSONValue) -> HandoffMove? {
        let by = body["by"]?.stringValue
        let note = body["note"]?.stringValue
        switch type {
        case "handoff.acknowledged": return by.map { .acknowledge(by: $0) }
        case "handoff.accepted": return by.map { .accept(by: $0, note: note) }
        case "handoff.declined":
            guard let by, let reason = body["reason"]?.stringValue.flatMap(DeclineReason.init(rawValue:)) else { return nil }
            return .decline(by: by, reason: reason, note: note)
        case "handoff.completed": return by.map { .complete(by: $0, note: note) }
        case "handoff.escalated": return body["cause"]?.stringValue.flatMap(EscalationCause.init(rawValue:)).map { .escalate(cause: $0) }
        case "handoff.cancelled": return .cancel(reason: body["reason"]?.stringValue ?? "cancelled")
        default: return nil
        }
    }

    /// The stored answer for an idempotency key, unless it has expired by `now`.
    public func idempotentAnswer(actor: String, key: String, now: Date) -> IdempotencyEntry? {
        guard let entry = idempotency[IdempotencyEntry.storageKey(actor: actor, key: key)],
              now.timeIntervalSince(entry.at) < IdempotencyEntry.retention else { return nil }
        return entry
    }

    /// The handoffs of an agency's feed whose latest change is after `after` (see `AgencyFeed`),
    /// those that `include` lets through.
    public func agencyChanges(_ agencyID: String, after: UInt64, limit: Int,
                              where include: (String) -> Bool = { _ in true }) -> [(seq: UInt64, id: String)] {
        agencyFeeds[agencyID]?.changes(after: after, limit: limit, isCurrent: { handoffs[$0]?.changedSeq == $1 }, where: include) ?? []
    }

    /// Calls about the same subject within `days` before `date` (the call itself not counted).
    public func contacts(reference: String, before date: Date, days: Int) -> Int {
        Self.contacts(in: subjectContacts[reference], before: date, days: days)
    }

    /// `contacts(reference:before:days:)` over one subject's `subjectContacts` entry, read earlier.
    public static func contacts(in dates: [Date]?, before date: Date, days: Int) -> Int {
        let from = date.addingTimeInterval(-Double(days) * 86_400)
        return dates?.count { $0 >= from && $0 <= date } ?? 0
    }

    /// Open handoffs whose deadline has passed at `now`, with the deadline that passed, earliest
    /// first. Only due entries of the deadline queue are visited, never every open handoff.
    public func overdueHandoffs(at now: Date) -> [(id: String, cause: EscalationCause)] {
        var seen = Set<String>()
        return deadlines.due(at: now).sorted { ($0.deadline, $0.handoffID) < ($1.deadline, $1.handoffID) }.compactMap { entry in
            guard seen.insert(entry.handoffID).inserted, let handoff = handoffs[entry.handoffID],
                  handoff.nextDeadline == entry.deadline, let cause = handoff.overdue(at: now) else { return nil }
            return (entry.handoffID, cause)
        }
    }

    /// The earliest deadline among open handoffs, for the timer.
    public var nextDeadline: Date? {
        deadlines.first?.deadline
    }

    // MARK: - Folding helpers

    mutating func indexContact(of entry: CallEntry) {
        guard let reference = entry.subjectReference else { return }
        subjectContacts[SubjectKey(reference), default: []].append(entry.receivedAt)
    }

    private mutating func unindexContact(of entry: CallEntry) {
        guard let reference = entry.subjectReference.map(SubjectKey.init),
              let index = subjectContacts[reference]?.firstIndex(of: entry.receivedAt) else { return }
        subjectContacts[reference]?.remove(at: index)
        if subjectContacts[reference]?.isEmpty == true { subjectContacts.removeValue(forKey: reference) }
    }

    private mutating func create(_ body: JSONValue, seq: UInt64, at: Date, fail: (String) -> StateFoldError) throws(StateFoldError) {
        for item in body["handoffs"]?.arrayValue ?? [] {
            guard let birth = HandoffBirth(json: item), handoffs[birth.handoffID] == nil, calls[birth.callID] != nil else {
                throw fail("a new handoff is invalid, exists already or names an unknown call")
            }
            store(birth.handoff(createdAt: at, seq: seq))
            calls[birth.callID]?.handoffIDs.append(birth.handoffID)
        }
    }

    private mutating func cancel(_ body: JSONValue, reason: String, seq: UInt64, at: Date, fail: (String) -> StateFoldError) throws(StateFoldError) {
        for item in body["cancelled"]?.arrayValue ?? [] {
            guard let id = item.stringValue, handoffs[id] != nil else { throw fail("cancels an unknown handoff") }
            try moveHandoff(id, .cancel(reason: reason), seq: seq, at: at, fail: fail)
        }
    }

    private mutating func moveHandoff(_ id: String, _ move: HandoffMove, seq: UInt64, at: Date, fail: (String) -> StateFoldError) throws(StateFoldError) {
        guard let handoff = handoffs[id] else { throw fail("unknown handoff \(id)") }
        let result: Handoff.Result
        do {
            result = try handoff.applying(move, at: at, seq: seq)
        } catch {
            throw fail(error.description)
        }
        if case .changed(let next) = result { store(next) }
    }

    private mutating func store(_ handoff: Handoff) {
        // One look-up stores the handoff and gives back the one it replaces.
        noteStored(handoff, replacing: handoffs.updateValue(handoff, forKey: IDKey(handoff.id)))
    }

    /// What follows storing `handoff` over `previous` (nil: it is new): the counts, the deadline
    /// queue and the feeds.
    private mutating func noteStored(_ handoff: Handoff, replacing previous: Handoff?) {
        let before = previous?.status
        if let before { handoffCounts[before, default: 0] -= 1 }
        handoffCounts[handoff.status, default: 0] += 1
        if let deadline = handoff.nextDeadline, previous?.nextDeadline != deadline {
            deadlines.insert(DeadlineQueue.Entry(deadline: deadline, handoffID: handoff.id))
        }
        // Keep the queue's first entry current, so that `nextDeadline` needs no scan. Only a
        // handoff that changed can make it stale: a new one's entry is current, and every other
        // entry's handoff is as it was when the first entry was last made current.
        if previous != nil {
            while let first = deadlines.first, handoffs[first.handoffID]?.nextDeadline != first.deadline {
                deadlines.removeFirst()
            }
        }
        assert(deadlines.first.map { handoffs[$0.handoffID]?.nextDeadline == $0.deadline } ?? true)
        if let agencyID = handoff.agencyID {
            // A handoff keeps its agency: a stored one's earlier entry is in this same feed.
            agencyFeeds[agencyID, default: AgencyFeed()].record(handoff.id, seq: handoff.changedSeq, supersedes: previous != nil)
            if agencyFeeds[agencyID]?.needsCompaction == true {
                let handoffs = self.handoffs
                agencyFeeds[agencyID]?.compact { handoffs[$0]?.changedSeq == $1 }
            }
            effects.noteAgency(agencyID)
        }
        if handoff.lastStepChangedControlRoomList {
            escalations.record(handoff.id, seq: handoff.changedSeq)
            effects.escalations = true
        }
    }
}

extension ServiceState {
    /// A copy that shares storage until either side changes (for snapshots off the commit path).
    public init(copying other: borrowing ServiceState) {
        self = copy other
    }
}
