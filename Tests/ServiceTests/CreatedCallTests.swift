import Foundation
import Handoffs
import JSON
import Testing
import Triage
@testable import Service

@Suite struct CreatedCallTests {
    /// The 201 answer is written straight to bytes, but a request with an Idempotency-Key stores
    /// it as a value and replays its serialization: the two must be the same bytes.
    @Test func writtenAnswerEqualsTheSerializedValue() throws {
        let deadlines = HandoffDeadlines(acknowledgeBy: Date(timeIntervalSince1970: 1_795_000_600),
                                         acceptBy: Date(timeIntervalSince1970: 1_795_001_800.25))
        let fields: JSONObject = [
            "outcome": "handoff", "police_attend": false,
            "rule": ["id": "r-1", "title": "Care <need> & \"quotes\"", "rationale": "line\nbreak \u{2028} é 🚑", "citation": "RCRP §4"],
            "rule_set": ["name": "england", "revision": "sha256:abc"],
            "caller_advice": "Tell the caller…", "agency_kinds": ["adult_social_care", "mental_health_trust"],
            "flags": ["repeat_contact"], "assumed": [], "review_required": true,
            "acknowledge_within_minutes": nil, "accept_within_minutes": 45,
        ]
        let births = [
            HandoffBirth(handoffID: "h_1", callID: "c_1", decisionID: "d_1", agencyID: "asc-1", agencyKind: .adultSocialCare,
                         deadlines: deadlines),
            HandoffBirth(handoffID: "h_2", callID: "c_1", decisionID: "d_1", agencyID: nil, agencyKind: .mentalHealthTrust,
                         deadlines: deadlines),
        ]
        for (incidentRef, handoffs) in [("CAD-<1>&\u{1}", births), ("CAD-2", []), ("CAD-3", Array(births.prefix(1)))] {
            let answer = CreatedCall(callID: "c_1", decisionID: "d_1", incidentRef: incidentRef, fields: fields,
                                     births: handoffs, decidedAt: "2026-11-22T10:15:00.250Z")
            #expect(answer.bytes == answer.json.serialized())
            #expect(try JSON.parse(answer.bytes) == answer.json)
        }
    }
}
