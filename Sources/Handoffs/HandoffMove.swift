import Foundation

/// A change requested of a handoff, by a partner (acknowledge, accept, decline, complete),
/// by the deadline timer (escalate) or by the control room (cancel through retriage or override).
public enum HandoffMove: Sendable, Hashable {
    case acknowledge(by: String)
    case accept(by: String, note: String?)
    case decline(by: String, reason: DeclineReason, note: String?)
    case complete(by: String, note: String?)
    case escalate(cause: EscalationCause)
    case cancel(reason: String)

    /// The state this move leads to.
    public var target: HandoffStatus {
        switch self {
        case .acknowledge: .acknowledged
        case .accept: .accepted
        case .decline: .declined
        case .complete: .completed
        case .escalate: .escalated
        case .cancel: .cancelled
        }
    }

    /// The verb as the API and the ledger name it (`handoff.<name>`).
    public var name: String {
        switch self {
        case .acknowledge: "acknowledged"
        case .accept: "accepted"
        case .decline: "declined"
        case .complete: "completed"
        case .escalate: "escalated"
        case .cancel: "cancelled"
        }
    }
}
