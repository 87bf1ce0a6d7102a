import Foundation
import JSON
import Triage

/// A call as the ledger recorded it: the facts, every decision (newest last), its handoffs and
/// when the caller was told. Decisions are kept in their API form.
///
/// The facts are kept serialised, with the few fields that lists, filters, stats and the fold
/// read taken out once: the bench call as a tree of members held ~2.2 KB, as bytes ~0.9 KB in
/// one allocation, and the state holds every call the service has taken (docs/SERVICE.md,
/// "Memory per call"). `call` parses them back for the rarer reads that want the whole call.
public struct CallEntry: Sendable, Hashable {
    public let id: String
    public let createdAt: Date
    public let createdSeq: UInt64
    /// The call's facts, serialised as the ledger's record holds them.
    public private(set) var callBytes: [UInt8]
    public private(set) var incidentRef: String
    public private(set) var callType: String
    public private(set) var area: String
    public private(set) var subjectReference: String?
    /// When the call came in: the control room's `received_at`, else when it was recorded.
    public private(set) var receivedAt: Date
    public var decisions: [JSONValue]
    public var handoffIDs: [String] = []
    public var callerInformed: [JSONValue] = []

    /// `callBytes`, when the caller has them, are `call.serialized()` (checked in debug builds).
    public init(id: String, createdAt: Date, createdSeq: UInt64, call: JSONValue, callBytes: [UInt8]? = nil, decision: JSONValue) {
        assert(callBytes == nil || callBytes == call.serialized(), "callBytes are not call.serialized()")
        self.id = id
        self.createdAt = createdAt
        self.createdSeq = createdSeq
        self.decisions = [decision]
        (self.callBytes, incidentRef, callType, area, subjectReference, receivedAt) = Self.facts(of: call, bytes: callBytes, createdAt: createdAt)
    }

    /// The call's facts as a tree (parsed from the stored bytes); setting it replaces them.
    public var call: JSONValue {
        get {
            // The bytes are this type's own serialisation of a tree, so they parse; the limits
            // are the snapshot's, wider than any request's.
            (try? JSON.parse(callBytes, limits: Self.storedLimits)) ?? .null
        }
        set {
            (callBytes, incidentRef, callType, area, subjectReference, receivedAt) = Self.facts(of: newValue, bytes: nil, createdAt: createdAt)
        }
    }

    public var decision: JSONValue { decisions[decisions.count - 1] }
    public var outcome: String { decision["outcome"]?.stringValue ?? "" }
    public var policeAttend: Bool { decision["police_attend"]?.boolValue ?? false }
    public var flags: [String] { decision["flags"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    static let storedLimits = JSONParseLimits(maxDepth: 64, maxStringBytes: 1 << 30)

    private static func facts(of call: JSONValue, bytes: [UInt8]?, createdAt: Date)
        -> (bytes: [UInt8], incidentRef: String, callType: String, area: String, subjectReference: String?, receivedAt: Date) {
        let type = call["call_type"]?.stringValue ?? ""
        // A known call type is held as the enumeration's own (static) string, not a copy per call.
        return (bytes ?? call.serialized(), call["incident_ref"]?.stringValue ?? "", CallType(rawValue: type)?.rawValue ?? type,
                call["location"]?["area"]?.stringValue ?? "", call["subject"]?["reference"]?.stringValue,
                call["received_at"]?.stringValue.flatMap(RFC3339.parse) ?? createdAt)
    }
}
