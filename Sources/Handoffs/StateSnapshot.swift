import Foundation
import JSON

/// The folded state as JSON, written every N records so that a start folds only the tail.
/// Only what records created is stored; indexes and feeds are rebuilt from it.
public enum StateSnapshot {
    public static let format = "rcrp-state-1"

    /// What a snapshot stores, taken from the state under its lock: copy-on-write values, so
    /// taking it costs a few retains. Only these collections are shared with the snapshot, so
    /// only their next changes copy (a shard at a time); feeds, indexes and deadlines never do.
    public struct Source: Sendable {
        public var lastSeq: UInt64
        public var dataReads: UInt64
        public var agencies: [Agency]
        public var issuedKeys: [String: IssuedKey]
        public var calls: ChunkedTable<CallEntry>
        public var handoffs: ChunkedTable<Handoff>
        public var idempotency: ShardedDictionary<String, IdempotencyEntry>

        public init(_ state: borrowing ServiceState) {
            lastSeq = state.lastSeq
            dataReads = state.dataReads
            agencies = state.agencies.agencies
            issuedKeys = state.issuedKeys
            calls = state.calls
            handoffs = state.handoffs
            idempotency = state.idempotency
        }
    }

    public static func encode(_ state: ServiceState) -> [UInt8] {
        encode(Source(state))
    }

    /// Written straight to bytes (no `JSONValue` tree around the calls, which are most of it),
    /// in the shape `decode` reads: calls in the order they were recorded, handoffs in the order
    /// they last changed.
    public static func encode(_ source: Source) -> [UInt8] {
        // Calls were recorded in seq order, and `callOrder` is that order: sorting by seq here
        // spares the snapshot a copy of `callOrder` (whose next append would copy its last segment).
        let calls = source.calls.values.sorted { $0.createdSeq < $1.createdSeq }
        var out = JSONOutput(capacity: 65_536 + calls.count * 3_072)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func array<T>(_ items: some Sequence<T>, _ write: (T) -> Void) {
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(item)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "{"))
        key("format", first: true); out.appendString(format)
        key("last_seq"); out.appendString(String(source.lastSeq))
        key("data_reads"); out.appendString(String(source.dataReads))
        key("agencies"); array(source.agencies) { out.appendValue($0.json) }
        key("issued_keys")
        array(source.issuedKeys.values.sorted { $0.id < $1.id }) { key in
            out.appendValue(["id": .string(key.id), "agency_id": .string(key.agencyID), "sha256": .string(key.sha256),
                             "revoked": .bool(key.revoked)])
        }
        key("calls")
        array(calls) { entry in
            out.append(UInt8(ascii: "{"))
            key("id", first: true); out.appendString(entry.id)
            key("created_at"); out.appendString(RFC3339.format(entry.createdAt))
            key("created_seq"); out.appendString(String(entry.createdSeq))
            key("call"); out.append(contentsOf: entry.callBytes)
            key("decisions"); array(entry.decisions) { out.appendValue($0) }
            key("handoff_ids"); array(entry.handoffIDs) { out.appendString($0) }
            key("caller_informed"); array(entry.callerInformed) { out.appendValue($0) }
            out.append(UInt8(ascii: "}"))
        }
        key("handoffs")
        array(source.handoffs.values.sorted { $0.changedSeq < $1.changedSeq }) { out.appendValue($0.snapshotJSON) }
        key("idempotency")
        array(source.idempotency.values.sorted { $0.at < $1.at }) { entry in
            out.appendValue(["actor": .string(entry.actor), "at": .string(RFC3339.format(entry.at)), "entry": entry.json])
        }
        out.append(UInt8(ascii: "}"))
        return out.bytes
    }

    /// The state a snapshot holds, or nil if it is not one this code wrote (then the ledger is
    /// folded from the start instead).
    public static func decode(_ bytes: [UInt8]) -> ServiceState? {
        guard let json = try? JSON.parse(bytes, limits: JSONParseLimits(maxDepth: 64, maxStringBytes: 1 << 30)),
              json["format"]?.stringValue == format,
              let lastSeq = json["last_seq"]?.stringValue.flatMap(UInt64.init) else { return nil }
        var state = ServiceState()
        state.lastSeq = lastSeq
        state.dataReads = json["data_reads"]?.stringValue.flatMap(UInt64.init) ?? 0
        for item in json["agencies"]?.arrayValue ?? [] {
            guard case .success(let agency) = Agency.decode(item) else { return nil }
            state.agencies.upsert(agency)
        }
        for item in json["issued_keys"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue, let agencyID = item["agency_id"]?.stringValue,
                  let hash = item["sha256"]?.stringValue else { return nil }
            let revoked = item["revoked"]?.boolValue ?? false
            state.issuedKeys[id] = IssuedKey(id: id, agencyID: agencyID, sha256: hash, revoked: revoked)
            if !revoked { state.keyIDsByHash[hash] = id }
        }
        for item in json["calls"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue, let createdAt = item["created_at"]?.stringValue.flatMap(RFC3339.parse),
                  let seq = item["created_seq"]?.stringValue.flatMap(UInt64.init), let call = item["call"],
                  let decisions = item["decisions"]?.arrayValue, let first = decisions.first else { return nil }
            var entry = CallEntry(id: id, createdAt: createdAt, createdSeq: seq, call: call, decision: first)
            entry.decisions = decisions
            entry.handoffIDs = item["handoff_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            entry.callerInformed = item["caller_informed"]?.arrayValue ?? []
            state.calls[id] = entry
            state.callOrder.append(id)
            state.indexContact(of: entry)
        }
        var feedChanges: [(seq: UInt64, id: String, agencyID: String)] = []
        for item in json["handoffs"]?.arrayValue ?? [] {
            guard let handoff = Handoff(snapshot: item) else { return nil }
            state.handoffs[handoff.id] = handoff
            state.handoffCounts[handoff.status, default: 0] += 1
            if let deadline = handoff.nextDeadline {
                state.deadlines.insert(DeadlineQueue.Entry(deadline: deadline, handoffID: handoff.id))
            }
            if let agencyID = handoff.agencyID { feedChanges.append((handoff.changedSeq, handoff.id, agencyID)) }
        }
        // Each agency's feed in the order its handoffs last changed (a feed is searched by seq).
        for change in feedChanges.sorted(by: { $0.seq < $1.seq }) {
            state.agencyFeeds[change.agencyID, default: AgencyFeed()].record(change.id, seq: change.seq, supersedes: false)
        }
        // The escalation feed in the order the handoffs last entered or left the control room's list.
        var escalationChanges: [(seq: UInt64, id: String)] = []
        for handoff in state.handoffs.values {
            if let seq = handoff.controlRoomListSeq { escalationChanges.append((seq, handoff.id)) }
        }
        for change in escalationChanges.sorted(by: { $0.seq < $1.seq }) { state.escalations.record(change.id, seq: change.seq) }
        for item in json["idempotency"]?.arrayValue ?? [] {
            guard let actor = item["actor"]?.stringValue, let at = item["at"]?.stringValue.flatMap(RFC3339.parse),
                  let inner = item["entry"], let entry = IdempotencyEntry(json: inner, actor: actor, at: at) else { return nil }
            state.idempotency[entry.storageKey] = entry
        }
        for entry in state.idempotency.values.sorted(by: { $0.at < $1.at }) {
            state.idempotencyExpiry.append(entry.storageKey, at: entry.at)
        }
        for key in state.subjectContacts.keys { state.subjectContacts[key]?.sort() }
        return state
    }
}
