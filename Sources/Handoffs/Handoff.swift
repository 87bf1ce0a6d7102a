import Foundation
import Triage
import JSON

/// One call passed to one agency: who must take it, by when, and every step it went through.
/// A value type; moves return the next value or a conflict, and the caller records the move.
public struct Handoff: Sendable, Hashable {
    public let id: String
    public let callID: String
    public let decisionID: String
    /// Nil when no active agency of the kind covered the area (the handoff is born `unroutable`).
    public let agencyID: String?
    public let agencyKind: AgencyKind
    public let createdAt: Date
    public let acknowledgeBy: Date?
    public let acceptBy: Date?
    public private(set) var status: HandoffStatus
    public private(set) var history: [HandoffStep]
    /// The ledger sequence number of the last record that changed this handoff (the feeds' cursor).
    public internal(set) var changedSeq: UInt64
    public private(set) var acknowledgedAt: Date?
    public private(set) var acceptedAt: Date?
    public private(set) var declineReason: DeclineReason?
    public private(set) var escalationCause: EscalationCause?

    public init(id: String, callID: String, decisionID: String, agencyID: String?, agencyKind: AgencyKind,
                createdAt: Date, deadlines: HandoffDeadlines, seq: UInt64) {
        self.id = id
        self.callID = callID
        self.decisionID = decisionID
        self.agencyID = agencyID
        self.agencyKind = agencyKind
        self.createdAt = createdAt
        let routed = agencyID != nil
        self.acknowledgeBy = routed ? deadlines.acknowledgeBy : nil
        self.acceptBy = routed ? deadlines.acceptBy : nil
        self.status = routed ? .pending : .unroutable
        self.history = [HandoffStep(status: status, at: createdAt, seq: seq)]
        self.changedSeq = seq
    }

    /// The outcome of a move that the state allows.
    public enum Result: Sendable, Hashable {
        /// The move changed the handoff: record it and keep the new value.
        case changed(Handoff)
        /// The same move again: nothing to record, answer as before.
        case unchanged
    }

    /// Checks a move against the state machine without changing anything:
    /// pending → acknowledged → accepted → completed; pending|acknowledged → declined or escalated;
    /// pending|acknowledged|accepted|unroutable → cancelled. Accepting a pending handoff acknowledges it too.
    public func check(_ move: HandoffMove) throws(HandoffConflict) -> Bool {
        if status == move.target { return false }   // repeating a move is idempotent
        let allowed: Bool
        switch move {
        case .acknowledge: allowed = status == .pending
        case .accept: allowed = status == .pending || status == .acknowledged
        case .decline: allowed = status == .pending || status == .acknowledged
        case .complete: allowed = status == .accepted
        case .escalate: allowed = status == .pending || status == .acknowledged
        case .cancel: allowed = status.isOpen || status == .unroutable
        }
        guard allowed else {
            throw HandoffConflict(handoffID: id, status: status, attempted: move.name)
        }
        return true
    }

    /// Applies a move at a time recorded by the ledger (`seq` is that record's number).
    public func applying(_ move: HandoffMove, at time: Date, seq: UInt64) throws(HandoffConflict) -> Result {
        guard try check(move) else { return .unchanged }
        var next = self
        next.status = move.target
        next.changedSeq = seq
        var step = HandoffStep(status: move.target, at: time, seq: seq)
        switch move {
        case .acknowledge(let by):
            step.by = by
            next.acknowledgedAt = time
        case .accept(let by, let note):
            step.by = by
            step.note = note
            if next.acknowledgedAt == nil { next.acknowledgedAt = time }
            next.acceptedAt = time
        case .decline(let by, let reason, let note):
            step.by = by
            step.reason = reason.rawValue
            step.note = note
            next.declineReason = reason
        case .complete(let by, let note):
            step.by = by
            step.note = note
        case .escalate(let cause):
            step.reason = cause.rawValue
            next.escalationCause = cause
        case .cancel(let reason):
            step.reason = reason
        }
        next.history.append(step)
        return .changed(next)
    }

    /// The deadline that has passed at `now`, if the handoff is still waiting on its agency.
    public func overdue(at now: Date) -> EscalationCause? {
        switch status {
        case .pending:
            if let by = acknowledgeBy, now >= by { return .acknowledgeDeadline }
            if let by = acceptBy, now >= by { return .acceptDeadline }
            return nil
        case .acknowledged:
            if let by = acceptBy, now >= by { return .acceptDeadline }
            return nil
        default:
            return nil
        }
    }

    /// Whether the step at `index` of the history put the handoff on the control room's list
    /// (declined, escalated, unroutable) or took it off: the one test of when the escalation
    /// feed changes, for the fold, the snapshot and the long-poll wake-ups.
    public func changedControlRoomList(atStep index: Int) -> Bool {
        history[index].status.needsControlRoom || (index > 0 && history[index - 1].status.needsControlRoom)
    }

    /// Whether the handoff's latest step put it on, or took it off, the control room's list.
    public var lastStepChangedControlRoomList: Bool {
        changedControlRoomList(atStep: history.count - 1)
    }

    /// The sequence number of the last record that put the handoff on, or took it off, the
    /// control room's list (its place in the escalation feed), if any did.
    public var controlRoomListSeq: UInt64? {
        history.indices.last(where: changedControlRoomList(atStep:)).map { history[$0].seq }
    }

    /// When this handoff next needs the timer, if ever.
    public var nextDeadline: Date? {
        switch status {
        case .pending: [acknowledgeBy, acceptBy].compactMap { $0 }.min()
        case .acknowledged: acceptBy
        default: nil
        }
    }
}

/// One entry of a handoff's history, as GET /v1/handoffs/{id} shows it.
public struct HandoffStep: Sendable, Hashable {
    public var status: HandoffStatus
    public var at: Date
    public var seq: UInt64
    public var by: String?
    public var reason: String?
    public var note: String?

    public init(status: HandoffStatus, at: Date, seq: UInt64, by: String? = nil, reason: String? = nil, note: String? = nil) {
        self.status = status
        self.at = at
        self.seq = seq
        self.by = by
        self.reason = reason
        self.note = note
    }
}

extension Handoff {
    /// The whole handoff for a state snapshot.
    public var snapshotJSON: JSONValue {
        [
            "id": .string(id), "call_id": .string(callID), "decision_id": .string(decisionID),
            "agency_id": .optional(agencyID), "agency_kind": .string(agencyKind.rawValue),
            "created_at": .string(RFC3339.format(createdAt)),
            "acknowledge_by": .optional(acknowledgeBy.map(RFC3339.format)), "accept_by": .optional(acceptBy.map(RFC3339.format)),
            "status": .string(status.rawValue), "changed_seq": .string(String(changedSeq)),
            "acknowledged_at": .optional(acknowledgedAt.map(RFC3339.format)), "accepted_at": .optional(acceptedAt.map(RFC3339.format)),
            "decline_reason": .optional(declineReason?.rawValue), "escalation_cause": .optional(escalationCause?.rawValue),
            "history": .array(history.map { step in
                ["status": .string(step.status.rawValue), "at": .string(RFC3339.format(step.at)), "seq": .string(String(step.seq)),
                 "by": .optional(step.by), "reason": .optional(step.reason), "note": .optional(step.note)]
            }),
        ]
    }

    public init?(snapshot json: JSONValue) {
        func date(_ key: String) -> Date? { json[key]?.stringValue.flatMap(RFC3339.parse) }
        guard let id = json["id"]?.stringValue, let callID = json["call_id"]?.stringValue,
              let decisionID = json["decision_id"]?.stringValue,
              let kind = json["agency_kind"]?.stringValue.flatMap(AgencyKind.init(rawValue:)),
              let createdAt = date("created_at"),
              let status = json["status"]?.stringValue.flatMap(HandoffStatus.init(rawValue:)),
              let changedSeq = json["changed_seq"]?.stringValue.flatMap(UInt64.init),
              let history = json["history"]?.arrayValue else { return nil }
        self.id = id
        self.callID = callID
        self.decisionID = decisionID
        self.agencyID = json["agency_id"]?.stringValue
        self.agencyKind = kind
        self.createdAt = createdAt
        self.acknowledgeBy = date("acknowledge_by")
        self.acceptBy = date("accept_by")
        self.status = status
        self.changedSeq = changedSeq
        self.acknowledgedAt = date("acknowledged_at")
        self.acceptedAt = date("accepted_at")
        self.declineReason = json["decline_reason"]?.stringValue.flatMap(DeclineReason.init(rawValue:))
        self.escalationCause = json["escalation_cause"]?.stringValue.flatMap(EscalationCause.init(rawValue:))
        var steps: [HandoffStep] = []
        for item in history {
            guard let status = item["status"]?.stringValue.flatMap(HandoffStatus.init(rawValue:)),
                  let at = item["at"]?.stringValue.flatMap(RFC3339.parse),
                  let seq = item["seq"]?.stringValue.flatMap(UInt64.init) else { return nil }
            steps.append(HandoffStep(status: status, at: at, seq: seq, by: item["by"]?.stringValue,
                                     reason: item["reason"]?.stringValue, note: item["note"]?.stringValue))
        }
        self.history = steps
    }
}
