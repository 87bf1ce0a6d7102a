import Foundation
import JSON
import Testing

@Suite struct AgencyEndpointTests {
    @Test func aMoreSpecificAgencyTakesTheCallsOfItsArea() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let registered = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: [
            "id": "peterborough-asc", "name": "Peterborough ASC", "kind": "adult_social_care",
            "areas": ["E06000031"], "contact": ["phone": "01733 000000"],
            "acknowledge_within_minutes": 5, "accept_within_minutes": 20,
        ])
        #expect(registered.status == 201)
        // The demo agency covers E06000031 exactly too, and was registered first: it wins the tie.
        let put = try await live.request("PUT", "/v1/agencies/demo-adult-social-care", key: "dev-admin", json: [
            "name": "Demo Adult Social Care", "kind": "adult_social_care", "areas": ["E06*"],
        ])
        #expect(put.status == 200)
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        #expect(created.json["handoffs"]?.arrayValue?.first?["agency_id"]?.stringValue == "peterborough-asc")
        let duplicate = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: [
            "id": "peterborough-asc", "name": "Again", "kind": "adult_social_care", "areas": ["*"],
        ])
        #expect(duplicate.status == 409)
        let invalid = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: ["id": "x y", "kind": "wizards", "areas": []])
        #expect(invalid.status == 422)
        let fields = Set(invalid.json["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["id", "name", "kind", "areas"])
    }

    @Test func deactivatingAnAgencyReroutesItsOpenHandoffsOrEscalatesThem() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(subject: nil))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let removed = try await live.request("DELETE", "/v1/agencies/demo-adult-social-care", key: "dev-admin")
        #expect(removed.status == 200)
        let rerouted = try #require(removed.json["rerouted"]?.arrayValue?.first)
        #expect(rerouted["from"]?.stringValue == handoffID)
        #expect(rerouted["to"]?["status"]?.stringValue == "unroutable")
        let old = try await live.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json
        #expect(old["status"]?.stringValue == "cancelled")
        let escalations = try await live.request("GET", "/v1/escalations", key: "dev-control-room").json
        #expect(escalations["escalations"]?.arrayValue?.contains { $0["handoff_id"] == rerouted["to"]?["handoff_id"] } == true)
        let agency = try await live.request("GET", "/v1/agencies/demo-adult-social-care", key: "dev-auditor").json
        #expect(agency["active"]?.boolValue == false)
    }

    @Test func anIssuedAgencyKeyWorksOnceShownAndStopsWhenRevoked() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let issued = try await live.request("POST", "/v1/agencies/demo-adult-social-care/keys", key: "dev-admin")
        #expect(issued.status == 201)
        let key = try #require(issued.json["key"]?.stringValue)
        let keyID = try #require(issued.json["key_id"]?.stringValue)
        let ledgerText = try live.records().map { String(decoding: $0.json.serialized(), as: UTF8.self) }.joined()
        #expect(!ledgerText.contains(key))
        #expect(try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs", key: key).status == 200)
        #expect(try await live.request("GET", "/v1/agencies/demo-amhp/handoffs", key: key).status == 403)
        let revoked = try await live.request("DELETE", "/v1/agencies/demo-adult-social-care/keys/\(keyID)", key: "dev-admin")
        #expect(revoked.status == 200)
        #expect(try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs", key: key).status == 401)
    }
}

@Suite struct AgencyListingTests {
    @Test func agenciesAreListedInRegistrationOrderAndPaged() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let first = try await live.request("GET", "/v1/agencies?limit=5", key: "dev-agency-demo-amhp")
        #expect(first.json["agencies"]?.arrayValue?.count == 5)
        #expect(first.json["agencies"]?.arrayValue?.first?["id"]?.stringValue == "demo-police")
        let cursor = try #require(first.json["next_cursor"]?.stringValue)
        let rest = try await live.request("GET", "/v1/agencies?limit=5&cursor=\(cursor)", key: "dev-agency-demo-amhp")
        #expect(rest.json["agencies"]?.arrayValue?.count == 3)
        #expect(rest.json["next_cursor"] == .null)
        #expect(try await live.request("GET", "/v1/agencies/nobody", key: "dev-auditor").status == 404)
    }

    @Test func changesToUnknownAgenciesAre404AndRepeatedDeactivationChangesNothing() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let put = try await live.request("PUT", "/v1/agencies/nobody", key: "dev-admin", json: ["name": "N", "kind": "other", "areas": ["*"]])
        #expect(put.status == 404)
        #expect(try await live.request("DELETE", "/v1/agencies/nobody", key: "dev-admin").status == 404)
        #expect(try await live.request("DELETE", "/v1/agencies/demo-amhp/keys/k_nope", key: "dev-admin").status == 404)
        #expect(try await live.request("DELETE", "/v1/agencies/demo-amhp", key: "dev-admin").status == 200)
        let before = try live.records().count
        let again = try await live.request("DELETE", "/v1/agencies/demo-amhp", key: "dev-admin")
        #expect(again.status == 200)
        #expect(again.json["agency"]?["active"]?.boolValue == false)
        #expect(try live.records().count == before)
    }

    @Test func anIdempotentRegistrationReplaysInsteadOfConflicting() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let body: JSONValue = ["id": "replayed", "name": "R", "kind": "other", "areas": ["*"]]
        let headers = [("Idempotency-Key", "register-once")]
        let first = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: body, headers: headers)
        let second = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: body, headers: headers)
        #expect(first.status == 201 && second.status == 201)
        #expect(second.body == first.body)
        let withoutKey = try await live.request("POST", "/v1/agencies", key: "dev-admin", json: body)
        #expect(withoutKey.status == 409)
    }
}
