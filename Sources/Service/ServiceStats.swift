import Foundation
import Handoffs
import JSON

/// The figures of GET /v1/stats over calls received in [from, to): what a force reports
/// (RCRP.md "Published impact figures").
struct ServiceStats {
    var json: JSONValue

    /// What the figures are computed from: copy-on-write values taken under the state lock in
    /// a few retains, so that the scan runs outside it and never holds up the committer.
    struct Source: Sendable {
        var callOrder: SegmentedArray<String>
        var calls: ChunkedTable<CallEntry>
        var handoffs: ChunkedTable<Handoff>

        init(_ state: borrowing ServiceState) {
            callOrder = state.callOrder
            calls = state.calls
            handoffs = state.handoffs
        }
    }

    init(state: Source, from: Date?, to: Date?, configuration: ServiceConfiguration) {
        var total = 0, policeAttend = 0, repeatContact = 0
        var byType: [String: Int] = [:], byOutcome: [String: Int] = [:], byTypeOutcome: [String: [String: Int]] = [:]
        var handoffsByStatus: [String: Int] = Dictionary(uniqueKeysWithValues: HandoffStatus.allCases.map { ($0.rawValue, 0) })
        var acknowledgeSeconds: [Double] = [], acceptSeconds: [Double] = []
        var escalations: [String: Int] = ["declined": 0, "escalated": 0, "unroutable": 0]
        var hoursReleased = 0.0, avoided = 0
        for id in state.callOrder {
            guard let call = state.calls[id] else { continue }
            if let from, call.receivedAt < from { continue }
            if let to, call.receivedAt >= to { continue }
            total += 1
            byType[call.callType, default: 0] += 1
            byOutcome[call.outcome, default: 0] += 1
            byTypeOutcome[call.callType, default: [:]][call.outcome, default: 0] += 1
            if call.policeAttend {
                policeAttend += 1
            } else {
                avoided += 1
                hoursReleased += configuration.officerHours(for: call.callType)
            }
            if call.flags.contains("repeat_contact") { repeatContact += 1 }
            for handoffID in call.handoffIDs {
                guard let handoff = state.handoffs[handoffID] else { continue }
                handoffsByStatus[handoff.status.rawValue, default: 0] += 1
                if let at = handoff.acknowledgedAt { acknowledgeSeconds.append(at.timeIntervalSince(handoff.createdAt)) }
                if let at = handoff.acceptedAt { acceptSeconds.append(at.timeIntervalSince(handoff.createdAt)) }
                // Counted by the worst place the handoff reached, even if later cancelled.
                for status in ["declined", "escalated", "unroutable"] where handoff.history.contains(where: { $0.status.rawValue == status }) {
                    escalations[status, default: 0] += 1
                }
            }
        }
        func counts(_ values: [String: Int]) -> JSONValue {
            .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) }))
        }
        func minutes(_ seconds: [Double]) -> JSONValue {
            let values = seconds.map { $0 / 60 }
            return ["count": .int(values.count), "median": Self.percentile(values, 0.5).map(JSONValue.double) ?? .null,
                    "p90": Self.percentile(values, 0.9).map(JSONValue.double) ?? .null]
        }
        json = [
            "from": .optional(from.map(RFC3339.format)), "to": .optional(to.map(RFC3339.format)),
            "calls": ["total": .int(total), "by_call_type": counts(byType), "by_outcome": counts(byOutcome),
                      "by_call_type_and_outcome": .object(JSONObject(byTypeOutcome.sorted { $0.key < $1.key }.map { ($0.key, counts($0.value)) }))],
            "police_deployment_rate": total == 0 ? .null : .double(Double(policeAttend) / Double(total)),
            "police_deployments": .int(policeAttend),
            "avoided_deployments": .int(avoided),
            "officer_hours_released": .double((hoursReleased * 10).rounded() / 10),
            "handoffs_by_status": counts(handoffsByStatus),
            "acknowledge_minutes": minutes(acknowledgeSeconds),
            "accept_minutes": minutes(acceptSeconds),
            "escalations": .int(escalations.values.reduce(0, +)),
            "escalations_by_kind": counts(escalations),
            "repeat_contact_flags": .int(repeatContact),
        ]
    }

    /// Nearest-rank percentile; nil for no values.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

extension JSONObject {
    init(_ members: [(String, JSONValue)]) {
        self.init()
        for (key, value) in members { self[key] = value }
    }
}
