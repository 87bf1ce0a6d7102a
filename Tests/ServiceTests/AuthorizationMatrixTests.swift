import Foundation
import JSON
import Testing

/// Each endpoint × each role × own/other agency: allowed roles get past authentication and
/// authorisation (whatever the answer then is), every other role gets 403, no key or an unknown
/// key 401.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin = "dev-admin", controlRoom = "dev-control-room", supervisor = "dev-supervisor", auditor = "dev-auditor"
        case ownAgency = "dev-agency-demo-adult-social-care", otherAgency = "dev-agency-demo-amhp"
    }

    struct Endpoint: Sendable, CustomStringConvertible {
        var method: String
        var path: String            // {call}, {handoff}, {key} are filled in from a prepared state
        var body: JSONValue?
        var allowed: Set<Caller>
        var description: String { "\(method) \(path)" }
    }

    static let everyone = Set(Caller.allCases)

    static let endpoints: [Endpoint] = [
        Endpoint(method: "POST", path: "/v1/triage", body: Calls.careNeed(), allowed: everyone),
        Endpoint(method: "POST", path: "/v1/calls", body: Calls.careNeed("CAD-M"), allowed: [.controlRoom]),
        Endpoint(method: "GET", path: "/v1/calls", allowed: [.controlRoom, .supervisor, .auditor]),
        Endpoint(method: "GET", path: "/v1/calls/{call}", allowed: [.controlRoom, .supervisor, .auditor]),
        Endpoint(method: "POST", path: "/v1/calls/{call}/retriage", body: ["notes": "more facts"], allowed: [.controlRoom, .supervisor]),
        Endpoint(method: "POST", path: "/v1/calls/{call}/override",
                 body: ["outcome": "police_attend", "reason": "known to be violent", "reviewer": "Insp. X"], allowed: [.supervisor]),
        Endpoint(method: "POST", path: "/v1/calls/{call}/caller-informed", body: ["by": "call handler 12"], allowed: [.controlRoom, .supervisor]),
        Endpoint(method: "GET", path: "/v1/agencies", allowed: everyone),
        Endpoint(method: "GET", path: "/v1/agencies/demo-amhp", allowed: everyone),
        Endpoint(method: "POST", path: "/v1/agencies",
                 body: ["id": "new-agency", "name": "New", "kind": "other", "areas": ["*"]], allowed: [.admin]),
        Endpoint(method: "PUT", path: "/v1/agencies/demo-amhp",
                 body: ["name": "Renamed AMHP", "kind": "amhp_service", "areas": ["*"]], allowed: [.admin]),
        Endpoint(method: "DELETE", path: "/v1/agencies/demo-street-triage", allowed: [.admin]),
        Endpoint(method: "POST", path: "/v1/agencies/demo-amhp/keys", allowed: [.admin]),
        Endpoint(method: "DELETE", path: "/v1/agencies/demo-amhp/keys/{key}", allowed: [.admin]),
        Endpoint(method: "GET", path: "/v1/agencies/demo-adult-social-care/handoffs", allowed: [.ownAgency, .supervisor]),
        Endpoint(method: "GET", path: "/v1/handoffs/{handoff}", allowed: [.ownAgency, .controlRoom, .supervisor, .auditor]),
        Endpoint(method: "POST", path: "/v1/handoffs/{handoff}/acknowledge", body: ["by": "x"], allowed: [.ownAgency, .supervisor]),
        Endpoint(method: "POST", path: "/v1/handoffs/{handoff}/accept", body: ["by": "x"], allowed: [.ownAgency, .supervisor]),
        Endpoint(method: "POST", path: "/v1/handoffs/{handoff}/decline", body: ["by": "x", "reason": "other", "note": "n"],
                 allowed: [.ownAgency, .supervisor]),
        Endpoint(method: "POST", path: "/v1/handoffs/{handoff}/complete", body: ["by": "x"], allowed: [.ownAgency, .supervisor]),
        Endpoint(method: "GET", path: "/v1/escalations", allowed: [.controlRoom, .supervisor]),
        Endpoint(method: "GET", path: "/v1/audit", allowed: [.auditor]),
        Endpoint(method: "GET", path: "/v1/audit/verify", allowed: [.auditor]),
        Endpoint(method: "GET", path: "/v1/stats", allowed: [.supervisor, .auditor]),
        Endpoint(method: "GET", path: "/v1/rules", allowed: everyone),
        Endpoint(method: "POST", path: "/v1/rules/reload", allowed: [.admin]),
    ]

    @Test(arguments: endpoints)
    func eachRoleGetsExactlyWhatItsRoleAllows(_ endpoint: Endpoint) async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-AUTH", subject: nil))
        let callID = try #require(created.json["call_id"]?.stringValue)
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let issued = try await live.request("POST", "/v1/agencies/demo-amhp/keys", key: "dev-admin")
        let keyID = try #require(issued.json["key_id"]?.stringValue)
        let path = endpoint.path.replacingOccurrences(of: "{call}", with: callID)
            .replacingOccurrences(of: "{handoff}", with: handoffID).replacingOccurrences(of: "{key}", with: keyID)

        for caller in Caller.allCases {
            let reply = try await live.request(endpoint.method, path, key: caller.rawValue, json: endpoint.body)
            if endpoint.allowed.contains(caller) {
                #expect(reply.status != 401 && reply.status != 403, "\(caller) on \(endpoint) answered \(reply.status): \(reply.text)")
                #expect(reply.status < 500, "\(caller) on \(endpoint) answered \(reply.status): \(reply.text)")
            } else {
                #expect(reply.status == 403, "\(caller) on \(endpoint) answered \(reply.status), not 403")
                #expect(reply.json["request_id"]?.stringValue?.isEmpty == false)
            }
        }
        let anonymous = try await live.request(endpoint.method, path, key: nil, json: endpoint.body)
        #expect(anonymous.status == 401)
        #expect(anonymous.header("WWW-Authenticate") == "Bearer")
        let unknown = try await live.request(endpoint.method, path, key: "not-a-key", json: endpoint.body)
        #expect(unknown.status == 401)
    }

    @Test func anAgencyKeySeesOnlyItsOwnAgencysHandoffs() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-OWN", subject: nil))
        let handoffID = try #require(created.json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let other = Caller.otherAgency.rawValue
        #expect(try await live.request("GET", "/v1/handoffs/\(handoffID)", key: other).status == 403)
        #expect(try await live.request("POST", "/v1/handoffs/\(handoffID)/accept", key: other, json: ["by": "x"]).status == 403)
        #expect(try await live.request("GET", "/v1/agencies/demo-adult-social-care/handoffs", key: other).status == 403)
        let own = try await live.request("GET", "/v1/agencies/demo-amhp/handoffs", key: other)
        #expect(own.status == 200)
        #expect(own.json["handoffs"] == [])
    }

    @Test func serviceEndpointsNeedNoKey() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let health = try await live.request("GET", "/healthz", key: nil)
        #expect(health.status == 200 && health.text == "ok")
        #expect(try await live.request("GET", "/readyz", key: nil).status == 200)
        let metrics = try await live.request("GET", "/metrics", key: nil)
        #expect(metrics.status == 200)
        let openapi = try await live.request("GET", "/openapi.yaml", key: nil)
        #expect(openapi.status == 200 && openapi.text.hasPrefix("openapi: 3.1.0"))
    }
}
