/// Why a partner declined a handoff; the raw values are API.md's `reason` enumeration.
public enum DeclineReason: String, Sendable, Hashable, CaseIterable {
    case noCapacity = "no_capacity"
    case notOurArea = "not_our_area"
    case notAppropriate = "not_appropriate"
    case policeRequired = "police_required"
    case other
}
