/// Where a handoff stands; the raw values are the API's `status` enumeration.
public enum HandoffStatus: String, Sendable, Hashable, CaseIterable {
    case pending, acknowledged, accepted, completed, declined, escalated, cancelled, unroutable

    /// An open handoff still has an agency working towards taking the call.
    public var isOpen: Bool { self == .pending || self == .acknowledged || self == .accepted }

    /// The states the control room must act on (GET /v1/escalations).
    public var needsControlRoom: Bool { self == .declined || self == .escalated || self == .unroutable }
}
