import Foundation
import JSON
import Testing

@Suite struct CallEndpointTests {
    @Test func postingACallAnswers201OnlyOnceItsRecordIsInTheLedger() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let reply = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        #expect(reply.status == 201)
        let answer = reply.json
        let callID = try #require(answer["call_id"]?.stringValue)
        #expect(callID.hasPrefix("c_"))
        #expect(answer["outcome"]?.stringValue == "handoff")
        #expect(answer["police_attend"]?.boolValue == false)
        #expect(answer["caller_advice"]?.stringValue?.isEmpty == false)
        #expect(answer["rule_set"]?["revision"]?.stringValue?.hasPrefix("sha256:") == true)
        let handoffs = try #require(answer["handoffs"]?.arrayValue)
        #expect(handoffs.first?["agency_id"]?.stringValue == "demo-adult-social-care")
        #expect(handoffs.first?["status"]?.stringValue == "pending")
        let triaged = try live.records().filter { $0.type == "call.triaged" }
        #expect(triaged.count == 1)
        #expect(triaged.first?.body["call_id"]?.stringValue == callID)
        #expect(triaged.first?.actor == "dev-control-room")
    }

    @Test func readingACallShowsEveryDecisionAndIsItselfRecorded() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed()).json
        let callID = try #require(created["call_id"]?.stringValue)
        let reply = try await live.request("GET", "/v1/calls/\(callID)", key: "dev-supervisor")
        #expect(reply.status == 200)
        #expect(reply.json["decisions"]?.arrayValue?.count == 1)
        #expect(reply.json["handoffs"]?.arrayValue?.count == 1)
        #expect(reply.json["call"]?["incident_ref"]?.stringValue == "CAD-1")
        let reads = try live.records().filter { $0.type == "data.read" }
        #expect(reads.count == 1)
        #expect(reads.first?.actor == "dev-supervisor")
        #expect(reads.first?.body["endpoint"]?.stringValue == "GET /v1/calls/{call_id}")
        #expect(reads.first?.body["call_ids"] == [.string(callID)])
    }

    @Test func invalidCallsListEveryBadField() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let bad: JSONValue = ["incident_ref": "", "call_type": "burglary", "caller": ["type": "public"],
                              "location": ["area": "E06000031"], "risk": ["immediacy": "soon"]]
        let reply = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: bad)
        #expect(reply.status == 422)
        #expect(reply.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let fields = reply.json["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
        #expect(fields.contains("incident_ref"))
        #expect(fields.contains("call_type"))
        #expect(fields.contains("risk.immediacy"))
        #expect(reply.json["request_id"]?.stringValue?.isEmpty == false)
        #expect(try live.records().allSatisfy { $0.type == "agency.registered" })
    }

    @Test func malformedJSONIs400AndOtherMediaTypesAre415() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let malformed = try await live.raw("POST", "/v1/calls", headers: [("Authorization", "Bearer dev-control-room"),
                                                                          ("Content-Type", "application/json")],
                                           body: Array("{\"incident_ref\": ".utf8))
        #expect(malformed.status == 400)
        let text = try await live.raw("POST", "/v1/calls", headers: [("Authorization", "Bearer dev-control-room"),
                                                                     ("Content-Type", "text/plain")], body: Array("hi".utf8))
        #expect(text.status == 415)
        let charset = try await live.raw("POST", "/v1/calls", headers: [("Authorization", "Bearer dev-control-room"),
                                                                        ("Content-Type", "application/json; charset=utf-8")],
                                         body: Calls.careNeed().serialized())
        #expect(charset.status == 201)
    }

    @Test func triageExplainsAndRecordsNothing() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let before = try live.records().count
        let reply = try await live.request("POST", "/v1/triage", key: "dev-agency-demo-amhp", json: Calls.careNeed())
        #expect(reply.status == 200)
        #expect(reply.json["outcome"]?.stringValue == "handoff")
        #expect(reply.json["call_id"] == nil)
        #expect(reply.json["explanation"]?["matched"] == reply.json["rule"]?["id"])
        #expect(reply.json["explanation"]?["not_matched"]?.arrayValue != nil)
        #expect(reply.json["handoffs"]?.arrayValue?.first?["agency_id"]?.stringValue == "demo-adult-social-care")
        #expect(try live.records().count == before)
    }

    @Test func aCrimeOccurringSendsPoliceAndCreatesNoHandoffToAPartnerAlone() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let reply = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.crimeOccurring())
        #expect(reply.status == 201)
        #expect(reply.json["police_attend"]?.boolValue == true)
    }

    @Test func theThirdCallAboutASubjectWithinThirtyDaysIsARepeatContact() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        var flags: [[JSONValue]] = []
        for index in 1...3 {
            let reply = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-R\(index)", subject: "P-REPEAT"))
            flags.append(reply.json["flags"]?.arrayValue ?? [])
        }
        let other = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-O", subject: "P-OTHER"))
        #expect(flags[0].isEmpty && flags[1].isEmpty)
        #expect(flags[2] == ["repeat_contact"])
        #expect(other.json["flags"] == [])
    }

    @Test func listingCallsFiltersAndPagesWithACursor() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        for index in 1...3 {
            _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-L\(index)", subject: nil))
        }
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.crimeOccurring("CAD-P"))
        let page = try await live.request("GET", "/v1/calls?outcome=handoff&limit=2", key: "dev-auditor")
        #expect(page.status == 200)
        #expect(page.json["calls"]?.arrayValue?.count == 2)
        let cursor = try #require(page.json["next_cursor"]?.stringValue)
        let rest = try await live.request("GET", "/v1/calls?outcome=handoff&limit=2&cursor=\(cursor)", key: "dev-auditor")
        #expect(rest.json["calls"]?.arrayValue?.map { $0["incident_ref"]?.stringValue } == ["CAD-L3"])
        #expect(rest.json["next_cursor"] == .null)
        let bad = try await live.request("GET", "/v1/calls?limit=501", key: "dev-auditor")
        #expect(bad.status == 422)
    }
}
