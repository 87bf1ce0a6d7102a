import Foundation
import Handoffs
import JSON
import Ledger
import Testing
import TestSupport
import Triage

/// PUT and DELETE on an agency: what stays, what changes, and where its open handoffs go.
@Suite struct AgencyChangeTests {
    @Test func anUpdateThatLeavesOutActiveKeepsADeactivatedAgencyInactive() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        #expect(try await live.request("DELETE", "/v1/agencies/demo-amhp", key: "dev-admin").status == 200)
        let renamed = try await live.request("PUT", "/v1/agencies/demo-amhp", key: "dev-admin", json: [
            "name": "Demo AMHP (closed)", "kind": "amhp_service", "areas": ["*"],
        ])
        #expect(renamed.status == 200)
        #expect(renamed.json["active"]?.boolValue == false)
        #expect(renamed.json["name"]?.stringValue == "Demo AMHP (closed)")
        #expect(try await live.request("GET", "/v1/agencies/demo-amhp", key: "dev-auditor").json["active"]?.boolValue == false)
        // Reactivation is explicit.
        let reactivated = try await live.request("PUT", "/v1/agencies/demo-amhp", key: "dev-admin", json: [
            "name": "Demo AMHP", "kind": "amhp_service", "areas": ["*"], "active": true,
        ])
        #expect(reactivated.json["active"]?.boolValue == true)
        let refused = try await live.request("PUT", "/v1/agencies/demo-amhp", key: "dev-admin", json: [
            "name": "Demo AMHP", "kind": "amhp_service", "areas": ["*"], "active": false,
        ])
        #expect(refused.status == 422)
    }

    @Test func narrowingAnAgencysAreasReroutesTheHandoffsItNoLongerCoversInTheSameRecord() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let county = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: [
            "id": "county-asc", "name": "County ASC", "kind": "adult_social_care", "areas": ["E06*"],
        ])
        #expect(county.status == 201)
        // A change that still covers the call leaves the handoff where it is.
        let renamed = try await live.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "Renamed ASC", "kind": "adult_social_care", "areas": ["E06000031"],
        ])
        #expect(renamed.status == 200)
        #expect(try live.records().last?.body["cancelled"] == [])
        let before = try live.records().count
        let narrowed = try await live.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "Renamed ASC", "kind": "adult_social_care", "areas": ["E07*"],
        ])
        #expect(narrowed.status == 200)
        let written = try Array(live.records().dropFirst(before))
        #expect(written.map(\.type) == ["agency.updated"])
        let record = try #require(written.first)
        #expect(record.body["cancelled"] == [.string(handoffID)])
        let replacement = try #require(record.body["handoffs"]?.arrayValue?.first)
        #expect(replacement["agency_id"]?.stringValue == "county-asc")
        #expect(replacement["status"]?.stringValue == "pending")
        let old = try await live.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json
        #expect(old["status"]?.stringValue == "cancelled")
        #expect(old["history"]?.arrayValue?.last?["reason"]?.stringValue == "agency_updated")
        let call = try await live.request("GET", "/v1/calls/\(callID)", key: "dev-supervisor").json
        #expect(call["handoffs"]?.arrayValue?.compactMap { $0["status"]?.stringValue } == ["cancelled", "pending"])
    }

    @Test func changingAnAgencysKindEscalatesTheHandoffsNobodyElseCovers() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await live.request("POST", "/v1/handoffs/\(handoffID)/accept", key: "dev-agency-demo-adult-social-care", json: ["by": "x"])
        let changed = try await live.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "Now a charity", "kind": "other", "areas": ["E06000031"],
        ])
        #expect(changed.status == 200)
        let record = try #require(try live.records().last { $0.type == "agency.updated" })
        let replacement = try #require(record.body["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        #expect(record.body["handoffs"]?.arrayValue?.first?["status"]?.stringValue == "unroutable")
        let escalations = try await live.request("GET", "/v1/escalations", key: "dev-control-room").json
        #expect(escalations["escalations"]?.arrayValue?.compactMap { $0["handoff_id"]?.stringValue } == [replacement])
        let old = try await live.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json
        #expect(old["status"]?.stringValue == "cancelled")
    }

    @Test func anUpdateThatReroutesSurvivesARestart() async throws {
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await LiveService(directory: directory)
        let created = try await first.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await first.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "ASC", "kind": "adult_social_care", "areas": ["E07*"],
        ])
        await first.stop()
        let live = try await LiveService(directory: directory)
        defer { Task { await live.stop() } }
        #expect(try await live.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json["status"]?.stringValue == "cancelled")
        #expect(try await live.request("GET", "/v1/escalations", key: "dev-control-room").json["escalations"]?.arrayValue?.count == 1)
    }

    @Test func readingAnUpdateThatReroutedHandoffsInTheAuditIsAPersonalDataRead() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        _ = try await live.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "ASC", "kind": "adult_social_care", "areas": ["E07*"],
        ])
        let update = try #require(try live.records().last { $0.type == "agency.updated" })
        let page = try await live.request("GET", "/v1/audit?after=\(update.seq - 1)&limit=1", key: "dev-auditor")
        #expect(page.json["records"]?.arrayValue?.first?["type"]?.stringValue == "agency.updated")
        let read = try #require(try live.records().last { $0.type == "data.read" })
        #expect(read.body["endpoint"]?.stringValue == "GET /v1/audit")
        #expect(read.body["handoff_ids"]?.arrayValue?.contains(.string(handoffID)) == true)
    }

    /// A call recorded under an older schema (here a field this code no longer knows) cannot be
    /// routed again; its handoff must go to the control room, not stay with a closed agency.
    /// A service whose ledger already holds a call saved under an older schema (a field today's
    /// strict decoder refuses) with a handoff to adult social care, the only agency of that kind.
    private func serviceWithAnOldSchemaCall(clock: TestClock, directory: String) async throws -> LiveService {
        let ledger = try FileLedger.open(directory: directory, clock: { clock.now })
        var call = try #require(Calls.careNeed("CAD-OLD", subject: nil).objectValue)
        call["legacy_priority"] = 3
        let birth = HandoffBirth(handoffID: "h_old", callID: "c_old", decisionID: "d_old", agencyID: "demo-adult-social-care",
                                 agencyKind: .adultSocialCare,
                                 deadlines: HandoffDeadlines(acknowledgeBy: clock.now.addingTimeInterval(600),
                                                             acceptBy: clock.now.addingTimeInterval(1800)))
        _ = try await ledger.append([LedgerEvent(type: "call.triaged", actor: "dev-control-room", body: [
            "call_id": "c_old", "call": .object(call),
            "decision": ["decision_id": "d_old", "outcome": "handoff", "police_attend": false, "agency_kinds": ["adult_social_care"], "flags": []],
            "handoffs": [birth.json],
        ])])
        ledger.close()
        return try await LiveService(directory: directory, clock: clock)
    }

    /// Re-routing reads the recorded call leniently; with no other agency of the kind covering
    /// its area, the handoff escalates rather than staying with an agency that will not act.
    @Test func deactivationEscalatesAHandoffOfAnOldSchemaCallWhenNoOtherAgencyCoversIt() async throws {
        let clock = TestClock()
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let live = try await serviceWithAnOldSchemaCall(clock: clock, directory: directory)
        defer { Task { await live.stop() } }
        let removed = try await live.request("DELETE", "/v1/agencies/demo-adult-social-care", key: "dev-admin")
        #expect(removed.status == 200)
        let rerouted = try #require(removed.json["rerouted"]?.arrayValue?.first)
        #expect(rerouted["from"]?.stringValue == "h_old")
        #expect(rerouted["to"]?["status"]?.stringValue == "unroutable")
        #expect(try await live.request("GET", "/v1/handoffs/h_old", key: "dev-supervisor").json["status"]?.stringValue == "cancelled")
        let escalations = try await live.request("GET", "/v1/escalations", key: "dev-control-room").json
        #expect(escalations["escalations"]?.arrayValue?.compactMap { $0["handoff_id"] } == [rerouted["to"]?["handoff_id"] ?? .null])
    }

    /// A supervisor can still override a call that today's decoder would refuse: the override
    /// needs only the recorded area (and an s136 arrival), read leniently.
    @Test func aSupervisorCanOverrideACallSavedUnderAnOlderSchema() async throws {
        let clock = TestClock()
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let live = try await serviceWithAnOldSchemaCall(clock: clock, directory: directory)
        defer { Task { await live.stop() } }
        let overridden = try await live.request("POST", "/v1/calls/c_old/override", key: "dev-supervisor", json: [
            "outcome": "joint_response", "reason": "Neighbour now reports shouting", "reviewer": "Insp. Example",
            "agency_kinds": ["adult_social_care", "mental_health_trust"],
        ])
        #expect(overridden.status == 200)
        #expect(overridden.json["police_attend"]?.boolValue == true)
        // Adult social care keeps its open handoff; the trust gets a new one, routed by the recorded area.
        let births = overridden.json["handoffs"]?.arrayValue ?? []
        #expect(births.map { $0["agency_kind"]?.stringValue } == ["mental_health_trust"])
        #expect(births.first?["status"]?.stringValue == "pending")
        #expect(births.first?["agency_id"]?.stringValue != nil)
    }
}
