import Foundation
import JSON

/// The folded state as JSON, written every N records so that a start folds only the tail.
/// Only what records created is stored; indexes and feeds are rebuilt from it.
public enum StateSnapshot {
    public static let format = "rcrp-state-1"

    public static func encode(_ state: ServiceState) -> [UInt8] {
        let calls: [JSONValue] = state.callOrder.compactMap { id in
            state.calls[id].map { entry in
                [
                    "id": .string(entry.id), "created_at": .string(RFC3339.format(entry.createdAt)),
                    "created_seq": .string(String(entry.createdSeq)), "call": entry.call,
                    "decisions": .array(entry.decisions), "handoff_ids": .array(entry.handoffIDs.map(JSONValue.string)),
                    "caller_informed": .array(entry.callerInformed),
                ]
            }
        }
        let snapshot: JSONValue = [
            "format": .string(format), "last_seq": .string(String(state.lastSeq)),
            "data_reads": .string(String(state.dataReads)),
            "agencies": .array(state.agencies.agencies.map(\.json)),
            "issued_keys": .array(state.issuedKeys.values.sorted { $0.id < $1.id }.map { key in
                ["id": .string(key.id), "agency_id": .string(key.agencyID), "sha256": .string(key.sha256), "revoked": .bool(key.revoked)]
            }),
            "calls": .array(calls),
            "handoffs": .array(state.handoffs.values.sorted { $0.changedSeq < $1.changedSeq }.map(\.snapshotJSON)),
            "idempotency": .array(state.idempotency.values.map { entry in
                ["actor": .string(entry.actor), "at": .string(RFC3339.format(entry.at)), "entry": entry.json]
            }),
        ]
        return snapshot.serialized()
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
            if let reference = entry.subjectReference { state.subjectContacts[reference, default: []].append(entry.receivedAt) }
        }
        for item in json["handoffs"]?.arrayValue ?? [] {
            guard let handoff = Handoff(snapshot: item) else { return nil }
            state.handoffs[handoff.id] = handoff
            state.handoffCounts[handoff.status, default: 0] += 1
            if let deadline = handoff.nextDeadline {
                state.openHandoffIDs.insert(handoff.id)
                state.deadlines.insert(DeadlineQueue.Entry(deadline: deadline, handoffID: handoff.id))
            }
            if let agencyID = handoff.agencyID {
                state.agencyFeeds[agencyID, default: ChangeFeed()].record(handoff.id, seq: handoff.changedSeq)
            }
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
        for key in state.subjectContacts.keys { state.subjectContacts[key]?.sort() }
        return state
    }
}
