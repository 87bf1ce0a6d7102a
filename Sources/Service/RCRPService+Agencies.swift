import Digests
import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Triage

extension RCRPService {
    // MARK: GET /v1/agencies, GET /v1/agencies/{id} — any role

    func listAgencies(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authorize(request, Self.anyRole)
        try requireReady(request)
        let cursor = try Query.cursor(request, "cursor")
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        return state.read { state in
            let all = state.agencies.agencies
            let start = Int(min(cursor, UInt64(all.count)))
            let page = all[start..<min(all.count, start + limit)]
            let next: JSONValue = start + page.count < all.count ? .string(String(start + page.count)) : .null
            return .json(200, ["agencies": .array(page.map(\.json)), "next_cursor": next])
        }
    }

    func getAgency(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authorize(request, Self.anyRole)
        try requireReady(request)
        let id = request.parameters["id"] ?? ""
        guard let agency = state.read({ $0.agencies[id] }) else { throw APIError.notFound("No agency \(id).") }
        return .json(200, agency.json)
    }

    // MARK: POST /v1/agencies, PUT /v1/agencies/{id} — admin

    func registerAgency(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let agency = try decodeAgency(RequestBody.json(request), pathID: nil)
        return try await write(request, principal, conflictKeys: ["agency:\(agency.id)"]) { state, _ throws(APIError) in
            if state.agencies[agency.id] != nil {
                throw APIError.conflict("Agency \(agency.id) exists; change it with PUT /v1/agencies/\(agency.id).")
            }
            return .write(type: "agency.registered", body: ["agency": agency.json], status: 201, answer: agency.json)
        }
    }

    func updateAgency(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let id = request.parameters["id"] ?? ""
        let agency = try decodeAgency(RequestBody.json(request), pathID: id)
        return try await write(request, principal, conflictKeys: ["agency:\(id)"]) { state, _ throws(APIError) in
            guard let existing = state.agencies[id] else {
                throw APIError.notFound("No agency \(id); register it with POST /v1/agencies.")
            }
            if existing.active && !agency.active {
                throw APIError.invalid([BodyProblem(field: "active", problem: "deactivate with DELETE /v1/agencies/\(id), which re-routes its handoffs")])
            }
            if existing == agency { return .unchanged(status: 200, answer: agency.json) }
            return .write(type: "agency.updated", body: ["agency": agency.json], status: 200, answer: agency.json)
        }
    }

    func decodeAgency(_ json: JSONValue, pathID: String?) throws(APIError) -> Agency {
        switch Agency.decode(json, pathID: pathID) {
        case .success(let agency): return agency
        case .failure(let error): throw APIError.invalid(error.problems)
        }
    }

    // MARK: DELETE /v1/agencies/{id} — deactivate; open handoffs re-routed or escalated

    func deactivateAgency(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let id = request.parameters["id"] ?? ""
        return try await write(request, principal, conflictKeys: ["agency:\(id)"], exclusive: true) { [self] state, now throws(APIError) in
            guard var agency = state.agencies[id] else { throw APIError.notFound("No agency \(id).") }
            agency.active = false
            guard state.agencies[id]?.active == true else {
                return .unchanged(status: 200, answer: ["agency": agency.json, "rerouted": []])
            }
            var cancelled: [String] = []
            var births: [HandoffBirth] = []
            var rerouted: [JSONValue] = []
            for handoff in state.handoffs.values.sorted(by: { $0.changedSeq < $1.changedSeq })
            where handoff.agencyID == id && handoff.status.isOpen {
                guard let entry = state.calls[handoff.callID], case .success(let call) = Call.decode(entry.call) else { continue }
                let decision = entry.decisions.last { $0["decision_id"]?.stringValue == handoff.decisionID } ?? entry.decision
                let minutes = (decision["acknowledge_within_minutes"]?.intValue.map(Int.init),
                               decision["accept_within_minutes"]?.intValue.map(Int.init))
                let next = birth(kind: handoff.agencyKind, call: call, callID: handoff.callID, decisionID: handoff.decisionID,
                                 ruleMinutes: minutes, state: state, now: now, excluding: [id])
                cancelled.append(handoff.id)
                births.append(next)
                rerouted.append(["from": .string(handoff.id), "to": Self.handoffSummary(next)])
            }
            let body: JSONObject = ["agency_id": .string(id), "cancelled": .array(cancelled.map(JSONValue.string)),
                                    "handoffs": .array(births.map(\.json))]
            return .write(type: "agency.deactivated", body: body, status: 200,
                          answer: ["agency": agency.json, "rerouted": .array(rerouted)])
        }
    }

    // MARK: POST /v1/agencies/{id}/keys, DELETE /v1/agencies/{id}/keys/{key_id} — admin

    func issueKey(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let agencyID = request.parameters["id"] ?? ""
        if !request.body.isEmpty { _ = try RequestBody.object(request, allowed: []) }
        return try await write(request, principal, conflictKeys: ["agency:\(agencyID)"]) { state, now throws(APIError) in
            guard let agency = state.agencies[agencyID] else { throw APIError.notFound("No agency \(agencyID).") }
            guard agency.active else { throw APIError.conflict("Agency \(agencyID) is deactivated.") }
            let keyID = Identifier.make("k", at: now)
            let key = Identifier.secretKey()
            let answer: JSONValue = ["key_id": .string(keyID), "agency_id": .string(agencyID), "key": .string(key)]
            // Only the hash goes to the ledger; a replay of this request cannot show the key again.
            let stored: JSONValue = ["key_id": .string(keyID), "agency_id": .string(agencyID), "key": .null]
            return .write(type: "key.issued",
                          body: ["key_id": .string(keyID), "agency_id": .string(agencyID), "sha256": .string(SHA256.hex(key))],
                          status: 201, answer: answer, stored: stored)
        }
    }

    func revokeKey(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let agencyID = request.parameters["id"] ?? ""
        let keyID = request.parameters["key_id"] ?? ""
        return try await write(request, principal, conflictKeys: ["agency:\(agencyID)"]) { state, _ throws(APIError) in
            guard let key = state.issuedKeys[keyID], key.agencyID == agencyID else {
                throw APIError.notFound("Agency \(agencyID) has no key \(keyID).")
            }
            let answer: JSONValue = ["key_id": .string(keyID), "agency_id": .string(agencyID), "revoked": true]
            if key.revoked { return .unchanged(status: 200, answer: answer) }
            return .write(type: "key.revoked", body: ["key_id": .string(keyID), "agency_id": .string(agencyID)],
                          status: 200, answer: answer)
        }
    }
}
