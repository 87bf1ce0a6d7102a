import Foundation
import Handoffs
import JSON
import Testing
import Triage
@testable import Ledger
@testable import Service

@Suite struct CreatedCallTests {
    static let deadlines = HandoffDeadlines(acknowledgeBy: Date(timeIntervalSince1970: 1_795_000_600),
                                            acceptBy: Date(timeIntervalSince1970: 1_795_001_800.25))
    static let births = [
        HandoffBirth(handoffID: "h_1", callID: "c_1", decisionID: "d_1", agencyID: "asc-1", agencyKind: .adultSocialCare,
                     deadlines: deadlines),
        HandoffBirth(handoffID: "h_2", callID: "c_1", decisionID: "d_1", agencyID: nil, agencyKind: .mentalHealthTrust,
                     deadlines: deadlines),
    ]

    /// Text that escaping must get right in every member written from the typed decision.
    static func decision(minutes: (Int?, Int?), assumed: [String]) -> Decision {
        Decision(ruleID: "r-1", ruleTitle: "Care <need> & \"quotes\"", rationale: "line\nbreak \u{2028} é 🚑", citation: "RCRP §4",
                 callerAdvice: "Tell the caller…", outcome: .handoff, agencyKinds: [.adultSocialCare, .mentalHealthTrust],
                 reviewRequired: true, acknowledgeWithinMinutes: minutes.0, acceptWithinMinutes: minutes.1, assumed: assumed,
                 ruleSetName: "england", ruleSetRevision: "sha256:abc")
    }

    static func answers() -> [CreatedCall] {
        var answers: [CreatedCall] = []
        for (minutes, assumed) in [((nil, 45), ["risk.intelligence_of_harm"]), ((10, nil), []), ((nil, nil), ["a", "b"])] as [((Int?, Int?), [String])] {
            let decision = decision(minutes: minutes, assumed: assumed)
            for flags in [[], ["repeat_contact"]] {
                for (incidentRef, handoffs) in [("CAD-<1>&\u{1}", births), ("CAD-2", []), ("CAD-3", Array(births.prefix(1)))] {
                    answers.append(CreatedCall(callID: "c_1", decisionID: "d_1", incidentRef: incidentRef,
                                               fields: RCRPService.decisionFields(decision, flags: flags),
                                               members: CreatedCall.DecisionMembers(decision), flags: flags,
                                               births: handoffs, decidedAt: "2026-11-22T10:15:00.250Z"))
                }
            }
        }
        return answers
    }

    /// The decision's members, in records and answers alike: pinned, since records keep them.
    @Test func decisionFieldsArePinnedByteForByte() {
        let fields = RCRPService.decisionFields(Self.decision(minutes: (nil, 45), assumed: ["risk.crime"]), flags: ["repeat_contact"],
                                                callID: "c_1", decisionID: "d_1", incidentRef: "CAD-1")
        #expect(String(decoding: JSONValue.object(fields).serialized(), as: UTF8.self) == """
        {"call_id":"c_1","decision_id":"d_1","incident_ref":"CAD-1","outcome":"handoff","police_attend":false,\
        "rule":{"id":"r-1","title":"Care \\u003cneed\\u003e \\u0026 \\"quotes\\"","rationale":"line\\nbreak \\u2028 é 🚑",\
        "citation":"RCRP §4"},"rule_set":{"name":"england","revision":"sha256:abc"},"caller_advice":"Tell the caller…",\
        "agency_kinds":["adult_social_care","mental_health_trust"],"flags":["repeat_contact"],"assumed":["risk.crime"],\
        "review_required":true,"acknowledge_within_minutes":null,"accept_within_minutes":45}
        """)
    }

    /// A rule's members come from a cache: never for a decision whose rule text differs under
    /// the same rule id and revision, and always the same as built afresh.
    @Test func aCachedDecisionHeadIsUsedOnlyForTheSameRule() {
        let decision = Self.decision(minutes: (nil, 45), assumed: [])
        #expect(DecisionHead.of(decision).bytes == DecisionHead(decision).bytes)
        #expect(DecisionHead.of(decision).bytes == DecisionHead.of(decision).bytes)
        var changed = decision
        changed.rationale = "another rationale"
        let head = DecisionHead.of(changed)
        #expect(head.bytes == DecisionHead(changed).bytes)
        #expect(head.bytes != DecisionHead(decision).bytes)
        var fields = head.fields
        RCRPService.appendDecisionTail(of: changed, flags: ["repeat_contact"], to: &fields)
        #expect(fields == RCRPService.decisionFields(changed, flags: ["repeat_contact"]))
        #expect(JSONValue.object(fields).serialized() == JSONValue.object(RCRPService.decisionFields(changed, flags: ["repeat_contact"])).serialized())
    }

    /// Every member a head is made from is compared before a cached head is used (an override
    /// keeps the rule id and revision with another outcome or other agencies); on one thread the
    /// same decision gets the same head object, and another thread keeps heads of its own.
    @Test func aCachedDecisionHeadIsCheckedMemberByMemberAndKeptPerThread() async {
        let decision = Self.decision(minutes: (nil, 45), assumed: [])
        let first = DecisionHead.of(decision)
        #expect(DecisionHead.of(decision) === first)
        let changes: [(String, @Sendable (inout Decision) -> Void)] = [
            ("title", { $0.ruleTitle = "another title" }), ("rationale", { $0.rationale = "another rationale" }),
            ("citation", { $0.citation = "another citation" }), ("advice", { $0.callerAdvice = "other advice" }),
            ("rule set", { $0.ruleSetName = "wales" }), ("outcome", { $0.outcome = .policeAttend }),
            ("agencies", { $0.agencyKinds = [.adultSocialCare] }),
        ]
        for (name, change) in changes {
            var changed = decision
            change(&changed)
            #expect(DecisionHead.of(changed).bytes == DecisionHead(changed).bytes, "changed \(name)")
            #expect(DecisionHead.of(decision).bytes == first.bytes, "back from \(name)")
        }
        let elsewhere = await withCheckedContinuation { (done: CheckedContinuation<DecisionHead, Never>) in
            Thread { done.resume(returning: DecisionHead.of(decision)) }.start()
        }
        #expect(elsewhere !== first)
        #expect(elsewhere.bytes == first.bytes)
    }

    /// A thread's cache is bounded: past its limit it starts again rather than grow with every
    /// rule set revision a long-running service reloads.
    @Test func aThreadsDecisionHeadCacheIsBounded() {
        let cache = DecisionHead.ThreadCache()
        var decision = Self.decision(minutes: (nil, 45), assumed: [])
        for revision in 0...DecisionHead.ThreadCache.limit {
            decision.ruleSetRevision = "sha256:\(revision)"
            _ = cache.head(of: decision)
            #expect(cache.count <= DecisionHead.ThreadCache.limit)
        }
        #expect(cache.count == 1)
        #expect(cache.head(of: decision) === cache.head(of: decision))
    }

    /// The 201 answer is written straight to bytes, but a request with an Idempotency-Key stores
    /// it as a value and replays its serialization: the two must be the same bytes.
    @Test func writtenAnswerEqualsTheSerializedValue() throws {
        for answer in Self.answers() {
            #expect(answer.bytes == answer.json.serialized())
            #expect(try JSON.parse(answer.bytes) == answer.json)
        }
    }

    /// The record's body is spliced from the same pieces: it must be the bytes the ledger would
    /// have written for the body as a tree, member for member in the tree's order.
    @Test func writtenRecordEqualsTheSerializedBody() throws {
        let call: JSONValue = ["incident_ref": "CAD-<1>", "notes": "caf\u{e9}\n", "location": ["lat": 52.57, "area": "E06000031"]]
        for answer in Self.answers() {
            var recorded = answer.fields
            recorded["decision_id"] = .string(answer.decisionID)
            recorded["kind"] = "triage"
            recorded["by"] = "rule_engine"
            recorded["decided_at"] = .string(answer.decidedAt)
            let body: JSONValue = ["call_id": .string(answer.callID), "call": call, "decision": .object(recorded),
                                   "handoffs": .array(answer.births.map(\.json))]
            let (rendered, openRecord, birthJSON) = answer.render(call: call.serialized())
            #expect(rendered == answer.bytes)
            #expect(birthJSON == answer.births.map(\.json))
            #expect(JSONValue.array(birthJSON).serialized() == JSONValue.array(answer.births.map(\.json)).serialized())
            #expect(openRecord + Array("}".utf8) == body.serialized())
        }
    }

    /// Through the whole service: every `call.triaged` record on disk (plain, flagged, unroutable,
    /// idempotent) hashes as the serialization of its parsed body, i.e. holds the bytes the ledger
    /// wrote before bodies came pre-serialised.
    @Test func recordedCallsHoldTheSerializationOfTheirBodies() async throws {
        let live = try await LiveService()
        for (index, area) in ["E06000031", "E06000031", "E06000031", "W06000015"].enumerated() {
            let created = try await live.request("POST", "/v1/calls", key: "dev-control-room",
                                                 json: Calls.careNeed("CAD-<\(index)>&\u{2028}", area: area))
            #expect(created.status == 201)
        }
        let keyed = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-K"),
                                           headers: [("Idempotency-Key", "k-1")])
        #expect(keyed.status == 201)
        let records = try live.records().filter { $0.type == "call.triaged" }
        #expect(records.count == 5)
        #expect(records.contains { $0.body["decision"]?["flags"] == ["repeat_contact"] })
        #expect(records.contains { $0.body["idempotency"] != nil })
        for record in records {
            var payload = RecordLayout.unsealed(seq: record.seq, at: RFC3339.format(record.at),
                                                typeJSON: JSONValue.string(record.type).serialized(),
                                                actorJSON: JSONValue.string(record.actor).serialized(),
                                                bodyJSON: record.body.serialized(), prevHash: Array(record.prevHash.utf8))
            #expect(String(decoding: RecordLayout.seal(&payload), as: UTF8.self) == record.hash)
        }
        // Stopped before the test ends, so that no other test sees its descriptors close.
        await live.stop()
    }
}
