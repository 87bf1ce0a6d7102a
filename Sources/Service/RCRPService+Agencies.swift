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
        // Exclusive, like every change to the agencies: a call queued after it is decided once it
        // is folded, so the ledger never shows a call routed without an agency recorded before it.
        return try await write(request, principal, conflictKeys: ["agency:\(agency.id)"], exclusive: true) { state, _ throws(APIError) in
            if state.agencies[agency.id] != nil {
                throw APIError.conflict("Agency \(agency.id) exists; change it with PUT /v1/agencies/\(agency.id).")
            }
            return .write(type: "agency.registered", body: ["agency": agency.json], status: 201, answer: agency.json)
        }
    }

    /// PUT replaces the details; `active` left out keeps the agency as it is (`AgencyUpdate`).
    /// Open handoffs the changed agency no longer takes (another kind, areas that no longer
    /// cover the call) are re-routed in the same record, as deactivation does.
    func updateAgency(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.admin])
        let id = request.parameters["id"] ?? ""
        let update: AgencyUpdate
        switch AgencyUpdate.decode(try RequestBody.json(request), id: id) {
        case .success(let decoded): update = decoded
        case .failure(let error): throw APIError.invalid(error.problems)
        }
        // Exclusive like deactivation: it may cancel handoffs that other commands would move.
        return try await write(request, principal, conflictKeys: ["agency:\(id)"], exclusive: true) { [self] state, now throws(APIError) in
            guard let existing = state.agencies[id] else {
                throw APIError.notFound("No agency \(id); register it with POST /v1/agencies.")
            }
            let agency = update.applied(to: existing)
            if existing.active && !agency.active {
                throw APIError.invalid([BodyProblem(field: "active", problem: "deactivate with DELETE /v1/agencies/\(id), which re-routes its handoffs")])
            }
            let moved = reroute(from: agency, state: state, now: now)
            if existing == agency && moved.cancelled.isEmpty { return .unchanged(status: 200, answer: agency.json) }
            return .write(type: "agency.updated", body: moved.recordBody(["agency": agency.json]), status: 200, answer: agency.json)
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
            let wasActive = agency.active
            agency.active = false
            let moved = reroute(from: agency, state: state, now: now)
            // Deactivating again changes nothing, unless a handoff was somehow left with it.
            guard wasActive || !moved.cancelled.isEmpty else {
                return .unchanged(status: 200, answer: ["agency": agency.json, "rerouted": []])
            }
            return .write(type: "agency.deactivated", body: moved.recordBody(["agency_id": .string(id)]), status: 200,
                          answer: ["agency": agency.json, "rerouted": .array(moved.rerouted)])
        }
    }

    /// Open handoffs taken away from an agency, and where each went.
    struct Rerouting {
        var cancelled: [String] = []
        var births: [HandoffBirth] = []
        /// `{"from": <old handoff id>, "to": <new handoff summary>}` for each.
        var rerouted: [JSONValue] = []

        /// A record body with the cancelled handoffs and their replacements (one record per command).
        func recordBody(_ base: JSONObject) -> JSONObject {
            var body = base
            body["cancelled"] = .array(cancelled.map(JSONValue.string))
            body["handoffs"] = .array(births.map(\.json))
            return body
        }
    }

    /// The one path for an agency that will no longer act on some of its open handoffs (it was
    /// deactivated, or changed kind or areas): each open handoff that `agency` (as it will be)
    /// does not take is cancelled and replaced by a handoff to the next agency that covers the
    /// call, or by an unroutable one that escalates at once when none does: never left where
    /// nobody will act on it. The routing facts come from the call as recorded (`HandoffRouting`),
    /// so a call saved under an older schema is re-routed like any other.
    func reroute(from agency: Agency, state: ServiceState, now: Date) -> Rerouting {
        var moved = Rerouting()
        // The agency's feed holds each of its handoffs once, in the order they last changed.
        for change in state.agencyChanges(agency.id, after: 0, limit: Int.max) {
            guard let handoff = state.handoffs[change.id], handoff.agencyID == agency.id, handoff.status.isOpen,
                  let entry = state.calls[handoff.callID], !agency.takes(kind: handoff.agencyKind, area: entry.area) else { continue }
            let decision = entry.decisions.last { $0["decision_id"]?.stringValue == handoff.decisionID } ?? entry.decision
            let minutes = (decision["acknowledge_within_minutes"]?.intValue.map(Int.init),
                           decision["accept_within_minutes"]?.intValue.map(Int.init))
            let next = birth(kind: handoff.agencyKind, routing: HandoffRouting(entry), callID: handoff.callID,
                             decisionID: handoff.decisionID, ruleMinutes: minutes, agencies: state.agencies, now: now, excluding: [agency.id])
            moved.cancelled.append(handoff.id)
            moved.births.append(next)
            moved.rerouted.append(["from": .string(handoff.id), "to": next.summary])
        }
        return moved
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
