/// A move the handoff's current state does not allow (HTTP 409): says what was tried and from where.
public struct HandoffConflict: Error, Sendable, Hashable, CustomStringConvertible {
    public let handoffID: String
    public let status: HandoffStatus
    public let attempted: String

    public init(handoffID: String, status: HandoffStatus, attempted: String) {
        self.handoffID = handoffID
        self.status = status
        self.attempted = attempted
    }

    public var description: String {
        "handoff \(handoffID) is \(status.rawValue); it cannot be \(attempted)"
    }
}
