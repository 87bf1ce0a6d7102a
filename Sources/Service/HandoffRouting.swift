import Foundation
import Handoffs
import JSON
import Triage

/// What a new handoff needs from its call: the area (the most specific agency covering it is
/// chosen) and, for an s136 handover, when the person arrived (accept-by = arrival + 60 minutes).
struct HandoffRouting {
    var area: String
    var s136ArrivedAt: Date?

    /// From a call just decoded (a new call, or a retriage's merged facts).
    init(_ call: Call) {
        area = call.location.area
        s136ArrivedAt = call.callType == .s136Handover ? call.s136?.arrivedAt : nil
    }

    /// From the call as it was saved, read leniently: a decision about a stored call (an
    /// override, a re-route when an agency changes) must never depend on that call still passing
    /// today's stricter decoder.
    init(_ entry: CallEntry) {
        area = entry.area
        s136ArrivedAt = entry.callType == CallType.s136Handover.rawValue
            ? entry.call["s136"]?["arrived_at"]?.stringValue.flatMap(RFC3339.parse) : nil
    }
}
