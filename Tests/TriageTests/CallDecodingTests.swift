import Foundation
import JSON
import Testing
@testable import Triage

@Suite struct CallDecodingTests {
    static let example = """
    {
      "incident_ref": "CAD-2026-000123",
      "call_type": "concern_for_welfare",
      "received_at": "2026-11-22T10:15:00Z",
      "caller": {"type": "public", "name": "A. Caller", "phone": "07700900123", "organisation": null},
      "subject": {"name": "B. Person", "age": 34, "reference": "P-88121",
                  "mha_status": "none", "restricted_patient": false},
      "location": {"address": "1 High St, Peterborough", "area": "E06000031",
                   "setting": "home", "lat": 52.57, "lon": -0.24},
      "risk": {"threat_to_life": false, "serious_harm": false, "immediacy": "none",
               "crime": "none", "violence": false, "child_at_risk": false,
               "lacks_capacity": false, "whereabouts_known": true,
               "intelligence_of_harm": "no", "medical_need": false, "care_need": true},
      "partner_steps_taken": [],
      "s136": null,
      "notes": "Neighbour has not seen her for a week."
    }
    """

    func decode(_ text: String) throws -> Result<Call, CallValidationError> {
        Call.decode(try JSON.parse(text))
    }

    func problems(_ text: String) throws -> [FieldProblem] {
        switch try decode(text) {
        case .success(let call): Issue.record("accepted \(call)"); return []
        case .failure(let error): return error.problems
        }
    }

    @Test func theAPIExampleDecodesWithNothingAssumed() throws {
        let call = try decode(Self.example).get()
        #expect(call.incidentRef == "CAD-2026-000123")
        #expect(call.callType == .concernForWelfare)
        #expect(call.receivedAt == RFC3339.parse("2026-11-22T10:15:00Z"))
        #expect(call.caller.type == .public && call.caller.organisation == nil)
        #expect(call.subject.age == 34 && call.subject.mhaStatus == MHAStatus.none)
        #expect(call.location.setting == .home && call.location.lat == 52.57)
        #expect(call.risk.careNeed && call.risk.whereaboutsKnown && call.risk.intelligenceOfHarm == .no)
        #expect(call.assumed.isEmpty)
    }

    @Test func aMisspeltRiskFlagIsAnErrorNamingTheField() throws {
        let found = try problems(Self.example.replacingOccurrences(of: "\"threat_to_life\"", with: "\"threat_to_lfe\""))
        #expect(found == [FieldProblem(field: "risk.threat_to_lfe", problem: "unknown field (did you mean 'threat_to_life'?)")])
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let body = """
        {"incident_ref": "", "call_type": "welfare", "caller": {"type": "neighbour", "mood": "cross"},
         "subject": {"age": 151, "mha_status": "s4", "restricted_patient": "no"},
         "location": {"setting": "garden", "lat": 91},
         "risk": {"immediacy": "now", "crime": true, "violence": "yes", "care_need": null},
         "partner_steps_taken": ["searched_premises", "searched_premises", "phoned"],
         "received_at": "yesterday", "colour": "red"}
        """
        let fields = Set(try problems(body).map(\.field))
        #expect(fields == ["incident_ref", "call_type", "caller.type", "caller.mood", "subject.age", "subject.mha_status",
                           "subject.restricted_patient", "location.area", "location.setting", "location.lat",
                           "risk.immediacy", "risk.crime", "risk.violence", "partner_steps_taken[1]",
                           "partner_steps_taken[2]", "received_at", "colour"])
    }

    @Test func missingRequiredFieldsAreNamed() throws {
        let found = try problems("{}")
        #expect(Set(found.map(\.field)) == ["incident_ref", "call_type", "caller.type", "location.area", "risk"])
        #expect(found.allSatisfy { $0.problem.hasPrefix("is required") })
    }

    @Test func missingRiskFlagsTakeSafeDefaultsAndAreListedAsAssumed() throws {
        let call = try decode("""
        {"incident_ref": "X-1", "call_type": "awol", "caller": {"type": "health_professional"},
         "location": {"area": "E06000031"}, "risk": {"violence": false}}
        """).get()
        #expect(call.risk == Risk())
        #expect(call.risk.whereaboutsKnown == false)
        #expect(call.risk.intelligenceOfHarm == .unknown && call.risk.immediacy == Immediacy.none && call.risk.crime == Crime.none)
        #expect(call.subject.mhaStatus == .unknown)
        #expect(call.assumed == Call.defaultedFields.filter { $0 != "risk.violence" })
        #expect(!call.assumed.contains("risk.violence"))
    }

    @Test func incidentRefIsBoundedAtSixtyFourCharacters() throws {
        func body(_ ref: String) -> String {
            "{\"incident_ref\": \"\(ref)\", \"call_type\": \"walk_out\", \"caller\": {\"type\": \"public\"}, \"location\": {\"area\": \"A\"}, \"risk\": {}}"
        }
        #expect(throws: Never.self) { try decode(body(String(repeating: "x", count: 64))).get() }
        #expect(try problems(body(String(repeating: "x", count: 65))).map(\.field) == ["incident_ref"])
        #expect(try problems(body("tab\\there")).first?.problem == "must not contain control characters")
        #expect(try problems(body("next\\u0085line")).first?.problem == "must not contain control characters")
        #expect(throws: Never.self) { try decode(body("Café-\\u00a0ref")).get() }
    }

    @Test func notesAreBounded() throws {
        let long = String(repeating: "n", count: Call.Limits.notes + 1)
        let found = try problems("{\"incident_ref\": \"X\", \"call_type\": \"walk_out\", \"caller\": {\"type\": \"public\"}, \"location\": {\"area\": \"A\"}, \"risk\": {}, \"notes\": \"\(long)\"}")
        #expect(found.map(\.field) == ["notes"])
    }

    @Test func s136HandoverNeedsAnArrivalTimeAndOtherCallsMayNotCarryOne() throws {
        let base = "\"caller\": {\"type\": \"police\"}, \"location\": {\"area\": \"A\"}, \"risk\": {}"
        #expect(try problems("{\"incident_ref\": \"X\", \"call_type\": \"s136_handover\", \(base)}").map(\.field) == ["s136.arrived_at"])
        #expect(try problems("{\"incident_ref\": \"X\", \"call_type\": \"s136_handover\", \(base), \"s136\": {\"arrived_at\": \"10am\"}}").map(\.field) == ["s136.arrived_at"])
        #expect(try problems("{\"incident_ref\": \"X\", \"call_type\": \"walk_out\", \(base), \"s136\": {\"arrived_at\": \"2026-11-22T10:00:00Z\"}}").map(\.field) == ["s136"])
        let call = try decode("{\"incident_ref\": \"X\", \"call_type\": \"s136_handover\", \(base), \"s136\": {\"arrived_at\": \"2026-11-22T10:00:00+01:00\"}}").get()
        #expect(call.s136?.arrivedAt == RFC3339.parse("2026-11-22T09:00:00Z"))
    }

    @Test func wrongTypesAreNamed() throws {
        let found = try problems("""
        {"incident_ref": 7, "call_type": "walk_out", "caller": "public", "location": {"area": "A"},
         "risk": [], "partner_steps_taken": "searched_premises", "subject": {"age": 30.5}}
        """)
        #expect(Set(found.map(\.field)) == ["incident_ref", "caller", "risk", "partner_steps_taken", "subject.age"])
    }

    @Test func theCanonicalFormRoundTripsThroughDecode() throws {
        let full = try decode(Self.example).get()
        #expect(try Call.decode(full.json).get() == full)
        let sparse = try decode("""
        {"incident_ref": "X-2", "call_type": "s136_handover", "caller": {"type": "police"},
         "location": {"area": "A", "setting": "place_of_safety"}, "risk": {"medical_need": true},
         "s136": {"arrived_at": "2026-11-22T10:00:00.250Z"}, "partner_steps_taken": ["contacted_person"]}
        """).get()
        let again = try Call.decode(sparse.json).get()
        #expect(again == sparse)
        #expect(again.assumed.count == Call.defaultedFields.count - 1)
        // The JSON text itself survives a parse as well.
        #expect(try Call.decode(JSON.parse(sparse.json.jsonString)).get() == sparse)
    }

    /// The canonical form is what `call.triaged` records hold: its bytes must not change.
    @Test func theCanonicalFormIsPinnedByteForByte() throws {
        let full = try decode(Self.example).get()
        #expect(String(decoding: full.json.serialized(), as: UTF8.self) == """
        {"incident_ref":"CAD-2026-000123","call_type":"concern_for_welfare","received_at":"2026-11-22T10:15:00Z",\
        "caller":{"type":"public","name":"A. Caller","phone":"07700900123"},\
        "subject":{"name":"B. Person","age":34,"reference":"P-88121","mha_status":"none","restricted_patient":false},\
        "location":{"address":"1 High St, Peterborough","area":"E06000031","setting":"home","lat":52.57,"lon":-0.24},\
        "risk":{"threat_to_life":false,"serious_harm":false,"immediacy":"none","crime":"none","violence":false,\
        "child_at_risk":false,"lacks_capacity":false,"whereabouts_known":true,"intelligence_of_harm":"no",\
        "medical_need":false,"care_need":true},"partner_steps_taken":[],"s136":null,\
        "notes":"Neighbour has not seen her for a week."}
        """)
        let sparse = try decode("""
        {"incident_ref": "X-2", "call_type": "s136_handover", "caller": {"type": "police", "organisation": "BTP"},
         "location": {"area": "A", "setting": "place_of_safety"}, "risk": {"medical_need": true, "crime": "occurred"},
         "subject": {"mha_status": "s136"}, "s136": {"arrived_at": "2026-11-22T10:00:00.250Z"}}
        """).get()
        #expect(String(decoding: sparse.json.serialized(), as: UTF8.self) == """
        {"incident_ref":"X-2","call_type":"s136_handover","caller":{"type":"police","organisation":"BTP"},\
        "subject":{"mha_status":"s136"},"location":{"area":"A","setting":"place_of_safety"},\
        "risk":{"crime":"occurred","medical_need":true},"partner_steps_taken":[],\
        "s136":{"arrived_at":"2026-11-22T10:00:00.250Z"},"notes":null}
        """)
    }

    /// The bytes written straight from the fields are the serialization of the canonical form,
    /// whatever is given, left out, assumed or in need of escaping.
    @Test func theCanonicalBytesAreTheSerializedCanonicalForm() throws {
        let bodies = [
            Self.example,
            """
            {"incident_ref": "X-2", "call_type": "s136_handover", "caller": {"type": "police", "organisation": "BTP"},
             "location": {"area": "A", "setting": "place_of_safety"}, "risk": {"medical_need": true, "crime": "occurred"},
             "subject": {"mha_status": "s136"}, "s136": {"arrived_at": "2026-11-22T10:00:00.250Z"}}
            """,
            """
            {"incident_ref": "CAD-<1>&\\u2028\\"", "call_type": "concern_for_welfare", "received_at": "2026-11-22T10:15:00.5+01:00",
             "caller": {"type": "public", "name": "Zoë <&>", "phone": null},
             "subject": {"age": 0, "reference": "P-é", "restricted_patient": true},
             "location": {"address": "1 \\"High\\" St", "area": "E06000031", "setting": "home", "lat": -90, "lon": 180.0},
             "risk": {"threat_to_life": true, "whereabouts_known": false, "intelligence_of_harm": "unknown"},
             "partner_steps_taken": ["contacted_person", "searched_premises"], "notes": "line\\nbreak 🚑"}
            """,
        ]
        for body in bodies {
            let call = try decode(body).get()
            #expect(call.jsonBytes == call.json.serialized())
        }
    }

    @Test func nonObjectBodiesAreRefused() throws {
        #expect(try problems("[1, 2]").first?.problem.contains("JSON object") == true)
    }
}
