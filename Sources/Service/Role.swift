/// What a key may do (API.md "Auth").
public enum Role: String, Sendable, Hashable, CaseIterable {
    case controlRoom = "control_room"
    case agency
    case supervisor
    case auditor
    case admin
}
