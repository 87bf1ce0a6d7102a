import Foundation

/// When a new handoff must be acknowledged and accepted.
public struct HandoffDeadlines: Sendable, Hashable {
    public var acknowledgeBy: Date
    public var acceptBy: Date

    public init(acknowledgeBy: Date, acceptBy: Date) {
        self.acknowledgeBy = acknowledgeBy
        self.acceptBy = acceptBy
    }

    /// The s136 handover target is one hour from arrival at the place of safety (RCRP.md).
    public static let s136HandoverMinutes = 60

    /// Rule overrides win over the agency's own minutes, which win over the service defaults;
    /// an s136 handover must be accepted within an hour of arrival, however long the agency's
    /// minutes, and acknowledgement can never be due after acceptance.
    public static func compute(createdAt: Date,
                               ruleAcknowledgeMinutes: Int?, ruleAcceptMinutes: Int?,
                               agencyAcknowledgeMinutes: Int?, agencyAcceptMinutes: Int?,
                               defaults: DeadlineMinutes,
                               s136ArrivedAt: Date?) -> HandoffDeadlines {
        let acknowledgeMinutes = ruleAcknowledgeMinutes ?? agencyAcknowledgeMinutes ?? defaults.acknowledge
        let acceptMinutes = ruleAcceptMinutes ?? agencyAcceptMinutes ?? defaults.accept
        var acceptBy = createdAt.addingTimeInterval(Double(acceptMinutes) * 60)
        if let arrived = s136ArrivedAt {
            acceptBy = arrived.addingTimeInterval(Double(s136HandoverMinutes) * 60)
        }
        let acknowledgeBy = min(createdAt.addingTimeInterval(Double(acknowledgeMinutes) * 60), acceptBy)
        return HandoffDeadlines(acknowledgeBy: acknowledgeBy, acceptBy: acceptBy)
    }
}

/// Minutes to acknowledge and to accept a handoff.
public struct DeadlineMinutes: Sendable, Hashable {
    public var acknowledge: Int
    public var accept: Int

    public init(acknowledge: Int = 15, accept: Int = 60) {
        self.acknowledge = acknowledge
        self.accept = accept
    }
}
