/// Which deadline passed, so the control room knows whether the partner never answered at all.
public enum EscalationCause: String, Sendable, Hashable, CaseIterable {
    case acknowledgeDeadline = "acknowledge_deadline"
    case acceptDeadline = "accept_deadline"
}
