import Foundation
import JSON

/// A call as the ledger recorded it: the facts, every decision (newest last), its handoffs and
/// when the caller was told. Decisions and facts are kept in their API form.
public struct CallEntry: Sendable, Hashable {
    public let id: String
    public let createdAt: Date
    public let createdSeq: UInt64
    public var call: JSONValue
    public var decisions: [JSONValue]
    public var handoffIDs: [String] = []
    public var callerInformed: [JSONValue] = []

    public init(id: String, createdAt: Date, createdSeq: UInt64, call: JSONValue, decision: JSONValue) {
        self.id = id
        self.createdAt = createdAt
        self.createdSeq = createdSeq
        self.call = call
        self.decisions = [decision]
    }

    public var decision: JSONValue { decisions[decisions.count - 1] }
    public var incidentRef: String { call["incident_ref"]?.stringValue ?? "" }
    public var callType: String { call["call_type"]?.stringValue ?? "" }
    public var area: String { call["location"]?["area"]?.stringValue ?? "" }
    public var subjectReference: String? { call["subject"]?["reference"]?.stringValue }
    /// When the call came in: the control room's `received_at`, else when it was recorded.
    public var receivedAt: Date { call["received_at"]?.stringValue.flatMap(RFC3339.parse) ?? createdAt }
    public var outcome: String { decision["outcome"]?.stringValue ?? "" }
    public var policeAttend: Bool { decision["police_attend"]?.boolValue ?? false }
    public var flags: [String] { decision["flags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
